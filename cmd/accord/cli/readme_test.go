package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// TestREADME runs every command the README shows, in order, in a copy of
// the repository's examples and docs, and compares each output the README
// shows with what the command prints: what a reader following the README
// gets, on any day (the commands pin --at). Revision hashes and the clock
// times the store records are masked; in the README's output, a line that
// is only "..." stands for any lines, and "..." inside a line for any text.
//
// Commands are `go run ./cmd/accord ...` (or `../../cmd/accord` after a cd)
// and `accord ...`, run in-process; make and the go tool's other commands
// (the developer's builds, tests and benchmarks) are skipped; cd moves on.
func TestREADME(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for _, dir := range []string{"examples", "docs"} {
		if err := copyTree(filepath.Join(root, dir), filepath.Join(work, dir)); err != nil {
			t.Fatal(err)
		}
	}
	out := &switchWriter{}
	runner, err := interp.New(interp.Dir(work), interp.StdIO(nil, out, out), interp.ExecHandlers(readmeCommands))
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeSteps(string(readme))
	if len(steps) < 6 {
		t.Fatalf("found %d command blocks in the README; the parser has lost its way", len(steps))
	}
	for _, st := range steps {
		// Each block is a reader's terminal at the repository's root: a cd
		// in one block does not carry over to the next.
		quoted, err := syntax.Quote(work, syntax.LangBash)
		if err != nil {
			t.Fatal(err)
		}
		if err := runner.Run(context.Background(), mustParse(t, "cd "+quoted)); err != nil {
			t.Fatal(err)
		}
		file, err := syntax.NewParser().Parse(strings.NewReader(st.commands), "README.md")
		if err != nil {
			t.Fatalf("README.md:%d: %v", st.line, err)
		}
		for i, stmt := range file.Stmts {
			var buf bytes.Buffer
			out.set(&buf)
			err := runner.Run(context.Background(), stmt)
			last := i == len(file.Stmts)-1
			if err != nil && (!last || !st.fails) {
				t.Fatalf("README.md:%d: %s: %v\n%s", st.line, syntaxFmt(stmt), err, buf.String())
			}
			if last && st.want != "" {
				if d := compareOutput(st.want, buf.String()); d != "" {
					t.Errorf("README.md:%d: %s: the output differs from the README's (-README +got):\n%s", st.line, syntaxFmt(stmt), d)
				}
			}
		}
	}
}

func mustParse(t *testing.T, src string) *syntax.File {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(src), "")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// syntaxFmt renders a statement for messages.
func syntaxFmt(stmt *syntax.Stmt) string {
	var b strings.Builder
	_ = syntax.NewPrinter().Print(&b, stmt)
	return b.String()
}

// step is one block of commands of the README and the output it shows for
// the last of them ("" when it shows none).
type step struct {
	line     int
	commands string
	want     string
	// fails: the README says the last command fails (validate of a spec
	// with mistakes).
	fails bool
}

// readmeSteps finds the README's commands: a ```sh block (its output, when
// shown, is the plain ``` block right after it), or a plain block whose
// first lines start with "$ " (the commands) followed by the output.
func readmeSteps(readme string) []step {
	lines := strings.Split(readme, "\n")
	var steps []step
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		lang := strings.TrimPrefix(fence, "```")
		start := i + 1
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		body := lines[start:end]
		i = end
		switch {
		case lang == "sh":
			st := step{line: start + 1, commands: strings.Join(body, "\n")}
			// The output block, if it follows with only blank lines between.
			j := end + 1
			for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
				j++
			}
			if j < len(lines) && strings.TrimSpace(lines[j]) == "```" {
				k := j + 1
				for k < len(lines) && strings.TrimSpace(lines[k]) != "```" {
					k++
				}
				st.want = strings.Join(lines[j+1:k], "\n") + "\n"
				i = k
			}
			steps = append(steps, st)
		case lang == "" && len(body) > 0 && strings.HasPrefix(body[0], "$ "):
			st := step{line: start + 1}
			var cmds []string
			k := 0
			for ; k < len(body) && strings.HasPrefix(body[k], "$ "); k++ {
				cmds = append(cmds, strings.TrimPrefix(body[k], "$ "))
			}
			st.commands = strings.Join(cmds, "\n")
			st.want = strings.Join(body[k:], "\n") + "\n"
			st.fails = strings.Contains(st.want, "Error: ")
			steps = append(steps, st)
		}
	}
	return steps
}

// readmeCommands runs the README's commands: accord in-process, in the
// directory the script is in; make is the developer's, and skipped.
func readmeCommands(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		hc := interp.HandlerCtx(ctx)
		var accordArgs []string
		switch {
		case len(args) >= 3 && args[0] == "go" && args[1] == "run" && strings.HasSuffix(args[2], "cmd/accord"):
			accordArgs = args[3:]
		case args[0] == "accord":
			accordArgs = args[1:]
		case args[0] == "make", args[0] == "go":
			return nil // the developer's tools: builds, tests, benchmarks
		default:
			return fmt.Errorf("the README runs %q, which this test does not know", args[0])
		}
		code, err := runIn(ctx, hc.Dir, accordArgs, hc.Stdout, hc.Stderr)
		if err != nil {
			return err
		}
		if code != 0 {
			return interp.ExitStatus(uint8(code)) //nolint:gosec // G115: an exit code is 0 to 255
		}
		return nil
	}
}

// cwd serialises the in-process runs that change the working directory.
var cwd sync.Mutex

// runIn runs accord in-process in dir, as a shell in dir would.
func runIn(ctx context.Context, dir string, args []string, stdout, stderr io.Writer) (int, error) {
	cwd.Lock()
	defer cwd.Unlock()
	prev, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	if err := os.Chdir(dir); err != nil {
		return 0, err
	}
	defer func() { _ = os.Chdir(prev) }()
	env := Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		LookupEnv: func(string) (string, bool) { return "", false }, Now: time.Now}
	return Run(ctx, args, env), nil
}

// switchWriter is the runner's output, pointed at each statement's buffer.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

var (
	revisionRe = regexp.MustCompile(`sha256:[0-9a-f]{12,16}`)
	// clockRe is a time the store recorded (UTC), not an instant the
	// README pins.
	clockRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

func mask(s string) string {
	return clockRe.ReplaceAllString(revisionRe.ReplaceAllString(s, "sha256:<revision>"), "<time>")
}

// compareOutput matches got against the README's want, line by line, with
// "..." lines standing for any lines and "..." in a line for any text; it
// returns a diff when they differ, "" when they match.
func compareOutput(want, got string) string {
	wl := strings.Split(strings.TrimRight(mask(want), "\n"), "\n")
	gl := strings.Split(strings.TrimRight(mask(got), "\n"), "\n")
	if matchLines(wl, gl) {
		return ""
	}
	return cmp.Diff(wl, gl)
}

func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "..." {
		for k := 0; k <= len(got); k++ {
			if matchLines(want[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 || !matchLine(want[0], got[0]) {
		return false
	}
	return matchLines(want[1:], got[1:])
}

func matchLine(want, got string) bool {
	if !strings.Contains(want, "...") {
		return strings.TrimRight(want, " ") == strings.TrimRight(got, " ")
	}
	parts := strings.Split(want, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re, err := regexp.Compile("^" + strings.Join(parts, ".*") + " *$")
	return err == nil && re.MatchString(got)
}

// copyTree copies a directory, leaving out the state a developer's runs
// left in its specs.
func copyTree(src, dst string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return err
	}
	left, err := filepath.Glob(filepath.Join(dst, "*", ".accord"))
	if err != nil {
		return err
	}
	deeper, err := filepath.Glob(filepath.Join(dst, "*", "*", ".accord"))
	if err != nil {
		return err
	}
	for _, d := range append(left, deeper...) {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}
