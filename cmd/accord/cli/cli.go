// Package cli is the accord command line: it parses flags, calls the spec
// loader, the engine and (later) the controller, and renders their results
// as text, JSON or diagnostics. It holds no business logic of its own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lmittmann/tint"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/accordhq/accord/adapters"
)

// Exit codes, as Terraform's.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2
)

// Env is everything the commands take from the process, so that tests run
// the real CLI in-process with their own streams, environment and clock.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	Now            func() time.Time
}

// SystemEnv is the environment of the running process.
func SystemEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv, Now: time.Now}
}

// ExitInterrupted is the exit status after SIGINT or SIGTERM, as a shell's
// 128 + SIGINT.
const ExitInterrupted = 130

// errInterrupted is why a command's context ends when the process is told
// to stop (SIGINT, SIGTERM).
var errInterrupted = errors.New("interrupted")

// Main runs accord with the process's arguments and returns the exit code.
// The first SIGINT or SIGTERM ends the command's context: an apply stops
// sending, records the batch in flight and says what it did. A second one
// exits at once; what was sent is journaled, and the next apply settles it.
func Main() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		cancel(errInterrupted)
		if _, ok := <-sigs; ok {
			os.Exit(ExitInterrupted)
		}
	}()
	return Run(ctx, os.Args[1:], SystemEnv())
}

// interrupted reports whether ctx ended because the process was told to
// stop.
func interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errInterrupted)
}

// exitError ends a command with a code after the command has already said
// why (diagnostics, a plan), so nothing more is printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Run runs accord with the given arguments; cancelling ctx stops the command.
func Run(ctx context.Context, args []string, env Env) int {
	app := &app{env: env}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if interrupted(ctx) {
		_, _ = fmt.Fprintln(env.Stderr, "Interrupted.")
		return ExitInterrupted
	}
	// An error that cannot be written to stderr has nowhere left to go;
	// the exit status still says it.
	_, _ = fmt.Fprintf(env.Stderr, "Error: %s\n", err)
	return ExitError
}

// note writes a line for the person at the terminal on stderr, where it does
// not mix with output a script reads. Like the final error line, a note that
// cannot be written is dropped: stderr is the last place to report to.
func (a *app) note(format string, args ...any) {
	_, _ = fmt.Fprintf(a.env.Stderr, format, args...)
}

// app holds the global flags and what they set up.
type app struct {
	env       Env
	reg       *adapters.Registry
	dir       string
	vars      []string
	logLevel  string
	logFormat string
	noColor   bool
	state     string
	log       *slog.Logger
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "accord",
		Short: "Keep every sales channel in accord with one declarative spec",
		Long: `accord keeps a merchant's sales channels (Shopify, Amazon, Walmart, TikTok Shop,
eBay and others) in accord with a spec written in HCL and kept in git: inventory
pools, price matrices, promotions, parity rules and listing fields.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.setup() },
	}
	f := root.PersistentFlags()
	f.StringVar(&a.dir, "dir", ".", "the spec directory")
	f.StringArrayVar(&a.vars, "var", nil, "set a variable: --var NAME=VALUE (repeatable)")
	f.StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	f.StringVar(&a.logFormat, "log-format", "auto", "log format: auto (text on a terminal, else JSON), text or json")
	f.BoolVar(&a.noColor, "no-color", false, "never colour the output")
	f.StringVar(&a.state, "state", "", "the state database (default .accord/state.db in the spec directory)")
	root.AddCommand(
		a.validateCommand(),
		a.fmtCommand(),
		a.desiredCommand(),
		a.explainCommand(),
		a.calendarCommand(),
		a.reportCommand(),
		a.campaignsCommand(),
		a.planCommand(),
		a.diffCommand(),
		a.applyCommand(),
		a.runCommand(),
		a.approveCommand(),
		a.observedCommand(),
		a.sandboxCommand(),
		a.auditCommand(),
		a.exceptionsCommand(),
		a.forceUnlockCommand(),
		a.stateCommand(),
		a.versionCommand(),
	)
	tidy(root)
	return root
}

// setup builds the logger from the global flags.
func (a *app) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", a.logLevel)
	}
	var h slog.Handler
	switch a.logFormat {
	case "json":
		h = slog.NewJSONHandler(a.env.Stderr, &slog.HandlerOptions{Level: level})
	case "text":
		h = tint.NewTextHandler(a.env.Stderr, &tint.Options{Level: level, NoColor: !a.colorOn(a.env.Stderr), TimeFormat: time.TimeOnly})
	case "auto":
		if isTerminal(a.env.Stderr) {
			h = tint.NewTextHandler(a.env.Stderr, &tint.Options{Level: level, NoColor: !a.colorOn(a.env.Stderr), TimeFormat: time.TimeOnly})
		} else {
			h = slog.NewJSONHandler(a.env.Stderr, &slog.HandlerOptions{Level: level})
		}
	default:
		return fmt.Errorf("--log-format %q: use auto, text or json", a.logFormat)
	}
	a.log = slog.New(h)
	return nil
}

// varMap parses --var NAME=VALUE flags.
func (a *app) varMap() (map[string]string, error) {
	m := map[string]string{}
	for _, v := range a.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: write NAME=VALUE", v)
		}
		m[name] = value
	}
	return m, nil
}

// colorOn reports whether output to w may carry ANSI colour.
func (a *app) colorOn(w io.Writer) bool {
	if a.noColor {
		return false
	}
	if _, set := a.env.LookupEnv("NO_COLOR"); set {
		return false
	}
	return isTerminal(w)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// termWidth is the width to wrap diagnostics at.
// tableWidth is the width tables fit in: the terminal's, or 0 (no limit)
// when the output goes to a file or a pipe.
func tableWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return int(termWidth(w))
	}
	return 0
}

func termWidth(w io.Writer) uint {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 20 {
			return uint(width)
		}
	}
	return 100
}
