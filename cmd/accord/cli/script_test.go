package cli_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/accordhq/accord/cmd/accord/cli"
)

// TestMain lets the scripts run `accord` as a command: testscript re-executes
// this test binary under that name. Otherwise it runs the package's tests and
// benchmarks as usual (testscript.Main calls m.Run).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"accord": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the end-to-end sessions in testdata/script, one per user
// story. Set ACCORD_UPDATE_SCRIPTS=1 to rewrite the golden files inside the
// archives (cmp stdout want.json) from the program's output; review the diff
// before committing it.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("ACCORD_UPDATE_SCRIPTS") == "1",
		Setup: func(e *testscript.Env) error {
			// Keep the output free of colour and of anything the machine
			// running the tests has in its environment.
			e.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
