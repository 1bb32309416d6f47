package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
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
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
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
			if format == "json" {
				return a.validateJSON(diags)
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
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
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
