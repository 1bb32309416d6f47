package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

func (a *app) validateCommand() *cobra.Command {
	var at, format string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the spec: every block, every reference, and every price now and at each promotion boundary",
		Long: `validate loads the spec and derives it now and at every later instant where a
promotion starts or ends, so that a promotion which will clash with a floor or a
parity rule next week fails today. It needs no credentials and no stock.

Exit status 1 when there is any error; warnings are printed but pass.`,
		Args: argsBetween(0, 0),
		RunE: func(_ *cobra.Command, _ []string) error {
			now, err := a.instant(at, nil)
			if err != nil {
				return err
			}
			if format != "text" && format != "json" && format != "github" {
				return fmt.Errorf("--format %q: use text, json or github", format)
			}
			s, diags, err := a.load()
			if err != nil {
				return err
			}
			var sources map[string][]byte
			if s != nil {
				sources = s.Sources
				if at != "" {
					// A time without an offset is in the spec's time zone.
					now, _ = a.instant(at, s.Settings.Timezone)
				}
				start := time.Now()
				diags = append(diags, findingDiags(derive.Check(s, now), now, s.Settings.Timezone)...)
				a.log.Debug("spec checked", slog.Int("instants", len(derive.Boundaries(s, now))+1), slog.Duration("duration", time.Since(start)))
			}
			switch format {
			case "json":
				return a.validateJSON(diags)
			case "github":
				return a.validateGitHub(diags)
			}
			a.printDiags(diags, sources)
			if diags.HasErrors() {
				return exitError{ExitError}
			}
			valid := "The spec is valid"
			if n := len(diags); n > 0 {
				valid += fmt.Sprintf(", with %s (above)", plural(n, "warning"))
			}
			_, err = fmt.Fprintf(a.env.Stdout, "%s: %s, %s, %s, %s.\n", valid,
				plural(len(s.Channels), "channel"), plural(len(s.Products), "product"),
				plural(len(s.Pools), "pool"), plural(len(s.Promotions), "promotion"))
			return err
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "validate as of this time (RFC 3339); default now")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json, or github (workflow commands that annotate a pull request's lines)")
	return cmd
}

// jsonDiag is a diagnostic as `validate --format json` prints it, for CI
// annotations.
type jsonDiag struct {
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail"`
	Range    *jsonPos `json:"range"`
}

type jsonPos struct {
	Filename string `json:"filename"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

func (a *app) validateJSON(diags hcl.Diagnostics) error {
	out := struct {
		Valid       bool       `json:"valid"`
		Errors      int        `json:"errors"`
		Warnings    int        `json:"warnings"`
		Diagnostics []jsonDiag `json:"diagnostics"`
	}{Valid: !diags.HasErrors(), Diagnostics: []jsonDiag{}}
	for _, d := range diags {
		jd := jsonDiag{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagError {
			out.Errors++
		} else {
			jd.Severity = "warning"
			out.Warnings++
		}
		if d.Subject != nil {
			jd.Range = &jsonPos{Filename: d.Subject.Filename, Line: d.Subject.Start.Line, Column: d.Subject.Start.Column}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	enc := json.NewEncoder(a.env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	if diags.HasErrors() {
		return exitError{ExitError}
	}
	return nil
}

// validateGitHub prints each diagnostic as a GitHub Actions workflow
// command (::error file=...,line=...,col=...::message), so that it lands on
// the pull request's line; exit 1 on any error, as always.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
func (a *app) validateGitHub(diags hcl.Diagnostics) error {
	pr := newPrinter(a.env.Stdout)
	for _, d := range diags {
		pr.println(githubCommand(d))
	}
	if pr.err != nil {
		return pr.err
	}
	if diags.HasErrors() {
		return exitError{ExitError}
	}
	return nil
}

// githubCommand is one diagnostic as a workflow command.
func githubCommand(d *hcl.Diagnostic) string {
	level := "error"
	if d.Severity != hcl.DiagError {
		level = "warning"
	}
	props := []string{}
	if r := d.Subject; r != nil {
		props = append(props, "file="+githubProperty(filepath.ToSlash(r.Filename)),
			fmt.Sprintf("line=%d", r.Start.Line), fmt.Sprintf("col=%d", r.Start.Column))
		if r.End.Line > r.Start.Line {
			props = append(props, fmt.Sprintf("endLine=%d", r.End.Line))
		} else if r.End.Column > r.Start.Column {
			props = append(props, fmt.Sprintf("endColumn=%d", r.End.Column))
		}
	}
	props = append(props, "title="+githubProperty(d.Summary))
	return fmt.Sprintf("::%s %s::%s", level, strings.Join(props, ","), githubData(d.Detail))
}

// githubData escapes a workflow command's message.
func githubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// githubProperty escapes a workflow command's property value.
func githubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// instant reads a --at style time: RFC 3339, or without an offset in loc
// (UTC when loc is nil). Empty means now.
func (a *app) instant(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return a.env.Now(), nil
	}
	if loc == nil {
		loc = time.UTC
	}
	t, err := spec.ParseTime(s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at: %w", err)
	}
	return t, nil
}
