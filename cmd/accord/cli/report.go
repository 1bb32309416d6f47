package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/report"
	"github.com/accordhq/accord/controller/store"
)

func (a *app) reportCommand() *cobra.Command {
	var (
		at, format, out  string
		window, interval time.Duration
		ordersFromAudit  bool
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the sync playbook: inventory matrix, pricing matrix, listing content and the risk checklist",
		Long: `report turns the spec into the playbook an operations lead or a brand manager
reads: which channels share stock and with what buffers, what each channel may charge
and why, which listing fields must match, and what is most likely to go wrong in the
next --window, ranked, each with the alert that watches it.

It is offline: the spec, the stock and, when there is one, the state store (open
exceptions; with --orders-from-audit, order rates estimated from the audit log). It
calls no channel. --format html writes one self-contained page (open it in any
browser, or print it); markdown suits a wiki; json holds everything.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format == "" {
				format = formatFor(out)
			}
			switch format {
			case "html", "markdown", "json":
			default:
				return fmt.Errorf("--format %q: use html, markdown or json", format)
			}
			if window <= 0 {
				return fmt.Errorf("--window %s: give a positive duration such as 720h", window)
			}
			if interval <= 0 {
				return fmt.Errorf("--interval %s: give a positive duration such as 15m", interval)
			}
			r, err := a.buildReport(cmd.Context(), at, window, interval, ordersFromAudit)
			if err != nil {
				return err
			}
			write := func(w io.Writer) error {
				switch format {
				case "json":
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return enc.Encode(r)
				case "markdown":
					return report.WriteMarkdown(w, r)
				}
				return report.WriteHTML(w, r)
			}
			if out == "" || out == "-" {
				return write(a.env.Stdout)
			}
			if err := writeFileAtomic(out, write); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			a.note("Wrote %s.\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "the report's instant (RFC 3339, or local to the spec's time zone); default now")
	f.DurationVar(&window, "window", 30*24*time.Hour, "look this far ahead for promotions and the risks they bring")
	f.DurationVar(&interval, "interval", 15*time.Minute, "how often the channels are brought back in line (accord run's resync, or how often apply runs), for the oversell estimate")
	f.StringVar(&format, "format", "", "html, markdown or json (default: from --out's extension, else markdown)")
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	f.BoolVar(&ordersFromAudit, "orders-from-audit", false, "estimate the order rate of channels without orders_per_day from the state's audit log")
	return cmd
}

// formatFor picks a format from an output file's extension.
func formatFor(out string) string {
	switch strings.ToLower(filepath.Ext(out)) {
	case ".html", ".htm":
		return "html"
	case ".json":
		return "json"
	}
	return "markdown"
}

// buildReport loads the spec and the stock and, when there is a state
// store, its open exceptions and audit log, and builds the report.
func (a *app) buildReport(ctx context.Context, at string, window, interval time.Duration, ordersFromAudit bool) (*report.Report, error) {
	s, err := a.loadSpec()
	if err != nil {
		return nil, err
	}
	now, err := a.instant(at, s.Settings.Timezone)
	if err != nil {
		return nil, err
	}
	levels, err := a.readStock(ctx, s)
	if err != nil {
		return nil, err
	}
	in := report.Input{Spec: s, Kinds: a.registry(), Stock: levels, At: now, Window: window, Interval: interval, Revision: controller.Revision(s)}
	st, err := a.existingState(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil {
		defer st.Close() //nolint:errcheck // read only: nothing to lose on close
		if in.Exceptions, err = st.Exceptions(ctx, store.ExceptionFilter{}); err != nil {
			return nil, err
		}
		if ordersFromAudit {
			entries, err := st.Audit(ctx, store.AuditFilter{})
			if err != nil {
				return nil, err
			}
			in.Orders = report.EstimateOrders(entries)
		}
	} else if ordersFromAudit {
		a.note("No state at %s yet: no audit log to estimate order rates from.\n", a.statePath())
	}
	return report.Build(ctx, in)
}
