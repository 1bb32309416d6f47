package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

func (a *app) explainCommand() *cobra.Command {
	var at string
	var channels []string
	cmd := &cobra.Command{
		Use:   "explain SKU",
		Short: "Show, step by step, how a SKU's quantity, price and fields are derived on each channel",
		Long: `explain answers "why is this price 43.99 on Amazon?": for each channel it walks
the derivation of one catalog SKU (list price, adjust, fx, promotion, floor,
rounding, parity, deviation; on hand, safety stock, reserves, buffer, max; each
field) and names the spec file and line behind every step.`,
		Args: argsExactly("SKU"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel := filter{channels: channels, skus: []string{args[0]}, positional: true}
			res, s, err := a.derive(cmd.Context(), at, sel, true)
			if err != nil {
				return err
			}
			return writeExplain(a.env.Stdout, s, res, args[0], tableWidth(a.env.Stdout))
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "explain at this time (RFC 3339, or local to the spec's time zone); default now")
	cmd.Flags().StringArrayVar(&channels, "channel", nil, "only this channel (repeatable)")
	return cmd
}

func where(r hcl.Range) string {
	if r.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// writeExplain writes the derivation of one SKU, step by step, each with
// the spec line behind it. On a terminal narrower than the steps (width >
// 0), each step's value, source and detail wrap under the value: nothing of
// one SKU's explanation is ever cut.
func writeExplain(w io.Writer, s *spec.Spec, res *derive.Result, sku string, width int) error {
	pr := newPrinter(w)
	p, _, _ := s.Product(sku)
	pr.printf("%s", sku)
	if p.Title != "" {
		pr.printf(" %q", p.Title)
	}
	pr.printf(" at %s  (%s)\n", res.At.In(s.Settings.Timezone).Format(time.RFC3339), where(p.Range))
	if len(res.Listings) == 0 {
		pr.println("\naccord manages nothing of this SKU on the selected channels: it is in no pool and no price matrix, and no listing block applies.")
	}
	for _, l := range res.Listings {
		ch, _, _ := s.Channel(l.Channel)
		pr.printf("\n%s (%s, %s)\n", ch.Name, ch.Type, ch.Currency)
		// Each topic is its own table, so a long title does not push the
		// price arithmetic off the screen.
		for _, topic := range []string{"price", "quantity", "fields"} {
			var steps []derive.Step
			for _, st := range res.Traces[l.Key] {
				if st.Topic == topic {
					steps = append(steps, st)
				}
			}
			if len(steps) == 0 {
				continue
			}
			pr.printf("  %s\n", topic)
			rows := make([][]string, len(steps))
			natural := make([]int, 4)
			for i, st := range steps {
				rows[i] = []string{"    " + st.Label, st.Value, st.Detail, where(st.Range)}
				for j, c := range rows[i] {
					natural[j] = max(natural[j], utf8.RuneCountInString(c))
				}
			}
			if width == 0 || natural[0]+natural[1]+natural[2]+natural[3]+6 < width {
				t := pr.table()
				for _, r := range rows {
					t.println(strings.TrimRight(strings.Join(r, "\t"), "\t"))
				}
				t.flush()
				continue
			}
			// Narrow: the label, then the value, its source and the
			// detail as one text wrapped under itself.
			for i, r := range rows {
				var rest []string
				for _, c := range r[1:] {
					if c != "" {
						rest = append(rest, c)
					}
				}
				rows[i] = []string{r[0], strings.Join(rest, "  ")}
			}
			pr.columns(rows, 1, width, true)
		}
		first := true
		for _, f := range res.Findings {
			if f.Channel != l.Channel && f.Channel != "" {
				continue
			}
			if first {
				pr.println("  findings")
				first = false
			}
			pr.printf("    %s %s: %s  (%s)\n", f.Severity, f.Code, f.Message, where(f.Range))
		}
	}
	return pr.err
}
