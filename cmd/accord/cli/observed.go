package cli

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec/derive"
)

func (a *app) observedCommand() *cobra.Command {
	var format string
	var sel filter
	cmd := &cobra.Command{
		Use:   "observed",
		Short: "Print what the channels list now, in the shape of desired",
		Long: `observed reads every channel and prints its listings keyed by catalog SKU, in the
shape of accord desired, so that the two can be compared. A listing whose SKU the
catalog does not know keeps the channel's SKU.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			ctx := cmd.Context()
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			if err := sel.check(s); err != nil {
				return err
			}
			// Reading needs no state: no store is opened.
			c := controller.New(controller.Config{Registry: a.registry(), Now: a.env.Now, Log: a.log, UserAgent: "accord/" + moduleVersion(), Owner: "accord observed"})
			defer func() {
				if err := c.Close(); err != nil {
					a.log.Warn("closing channels", slog.Any("err", err))
				}
			}()
			var channels []string
			for _, ch := range s.Channels {
				if sel.keepChannel(ch.Name) {
					channels = append(channels, ch.Name)
				}
			}
			var skus []string
			if len(sel.skus) > 0 {
				skus = sel.skus
			}
			obs, err := c.Observe(ctx, s, channels, skus)
			if err != nil {
				return err
			}
			var out []derive.Listing
			for _, name := range channels {
				ch, _, _ := s.Channel(name)
				catalog := map[string]string{}
				for _, p := range s.Products {
					if cs, ok := ch.ChannelSKU(p); ok {
						catalog[cs] = p.SKU
					}
				}
				for _, l := range obs[name] {
					if sku, ok := catalog[l.SKU]; ok {
						l.SKU = sku
					}
					out = append(out, derive.Listing{Listing: l})
				}
			}
			sort.SliceStable(out, func(i, j int) bool {
				if out[i].Channel != out[j].Channel {
					return out[i].Channel < out[j].Channel
				}
				return out[i].SKU < out[j].SKU
			})
			w := bufio.NewWriterSize(a.env.Stdout, 1<<16)
			pr := newPrinter(w)
			if format == "json" {
				b := []byte(`{"at":`)
				b = appendQuote(b, a.env.Now().UTC().Format(time.RFC3339))
				b = append(b, ",\n\"listings\":["...)
				for i := range out {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, '\n')
					b = appendListingJSON(b, s, &out[i])
					if len(b) > 1<<16 {
						pr.printf("%s", b)
						b = b[:0]
					}
				}
				b = append(b, "]}\n"...)
				pr.printf("%s", b)
			} else {
				t := pr.table()
				t.println("CHANNEL\tSKU\tQUANTITY\tPRICE\tCOMPARE AT\tSTATUS\tTITLE")
				for i := range out {
					l := &out[i]
					ch, _, _ := s.Channel(l.Channel)
					title, _ := l.Field("title")
					t.printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Channel, l.SKU, qtyText(l.Quantity),
						dashed(adapters.Money(l.Price, ch.Scale)), dashed(adapters.Money(l.CompareAt, ch.Scale)),
						l.Status, clip(title, 50))
				}
				t.flush()
			}
			if pr.err != nil {
				return pr.err
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	sel.flags(cmd)
	return cmd
}

// dashed is a value in a table: "-" for none, as desired writes it.
func dashed(v adapters.Value) string {
	if !v.Set {
		return "-"
	}
	return v.Text
}

func qtyText(q adapters.Quantity) string {
	if !q.Valid {
		return "-"
	}
	return strconv.FormatInt(q.Units, 10)
}

func (a *app) auditCommand() *cobra.Command {
	var channel, sku string
	var limit int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the changes accord applied, oldest first",
		Args:  argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.storeTable(cmd.Context(), "WHEN\tRUN\tREVISION\tCHANNEL\tSKU\tFIELD\tFROM\tTO\tREASON",
				func(ctx context.Context, st *store.Store, row func(format string, args ...any)) error {
					entries, err := st.Audit(ctx, store.AuditFilter{Channel: channel, SKU: sku, Limit: limit})
					// A revision accord run read from git names its commit.
					revs := map[string]string{}
					for _, e := range entries {
						rev, ok := revs[e.Revision]
						if !ok {
							rev = plan.ShortRevision(e.Revision)
							c, found, cerr := st.CommitOf(ctx, e.Revision)
							if cerr != nil {
								return cerr
							}
							if found {
								rev += " (commit " + c.SHA[:min(len(c.SHA), 12)] + ")"
							}
							revs[e.Revision] = rev
						}
						row("%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", e.At.UTC().Format(time.RFC3339), e.RunID, rev,
							e.Channel, e.SKU, e.Field, e.From, clip(e.To.String(), 40), e.Reason)
					}
					return err
				})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel")
	cmd.Flags().StringVar(&sku, "sku", "", "only this catalog SKU")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
	return cmd
}

// storeTable opens the state store and prints the rows fill gives as a
// table under header (tab-separated columns).
func (a *app) storeTable(ctx context.Context, header string, fill func(context.Context, *store.Store, func(string, ...any)) error) (err error) {
	st, err := a.existingState(ctx)
	if err != nil {
		return err
	}
	if st == nil {
		a.note("No state yet at %s: nothing has been applied with this spec.\n", a.statePath())
		return nil
	}
	defer closeWith(&err, st)
	w := bufio.NewWriter(a.env.Stdout)
	pr := newPrinter(w)
	t := pr.table()
	t.println(header)
	if err := fill(ctx, st, func(format string, args ...any) { t.printf(format+"\n", args...) }); err != nil {
		return err
	}
	t.flush()
	if pr.err != nil {
		return pr.err
	}
	return w.Flush()
}
