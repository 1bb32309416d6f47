package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/accordhq/accord/cmd/accord/cli"
	"github.com/accordhq/accord/controller/plan"
)

// TestMain lets the scripts run `accord` as a command: testscript re-executes
// this test binary under that name. Otherwise it runs the package's tests and
// benchmarks as usual (testscript.Main calls m.Run).
func TestMain(m *testing.M) {
	if os.Getenv(chaosChild) == "1" {
		os.Exit(cli.Main()) // a process of the fault campaign (chaos_test.go)
	}
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// replace FILE OLD NEW rewrites the first OLD in FILE as NEW: a
			// hand edit. OLD must be there.
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				text := ts.ReadFile(args[0])
				if !strings.Contains(text, args[1]) {
					ts.Fatalf("replace: %q is not in %s", args[1], args[0])
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Replace(text, args[1], args[2], 1)), 0o600))
			},
			// rechecksum FILE rewrites a saved plan with the checksum of
			// its changes as they are now: a forgery.
			"rechecksum": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: rechecksum FILE")
				}
				p, err := plan.ReadJSON(strings.NewReader(ts.ReadFile(args[0])))
				ts.Check(err)
				var b strings.Builder
				ts.Check(p.WriteJSON(&b, nil))
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o600))
			},
		},
		Setup: func(e *testscript.Env) error {
			// Keep the output free of colour and of anything the machine
			// running the tests has in its environment.
			e.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
