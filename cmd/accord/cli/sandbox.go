package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/spec"
)

func (a *app) sandboxCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Look at and change the sandbox marketplace from outside accord",
		Long: `The sandbox is a simulated marketplace (channel type "sandbox") kept in
.accord/sandbox/sandbox.db beside the spec. These commands act on it as the world
outside accord would: a person editing a listing in a seller portal (set), a
customer's order (sell), a delivery to the warehouse (restock), an unreliable
API (faults).

SKUs are catalog SKUs.`,
	}
	cmd.AddCommand(a.sandboxShow(), a.sandboxSet(), a.sandboxSell(), a.sandboxRestock(), a.sandboxFaults(), a.sandboxReset())
	return cmd
}

// sandboxChannel opens a sandbox channel of the spec by name.
func (a *app) sandboxChannel(ctx context.Context, s *spec.Spec, name string) (*sandbox.Channel, *spec.Channel, error) {
	ch, _, ok := s.Channel(name)
	if !ok {
		var names []string
		for _, c := range s.Channels {
			if c.Type == "sandbox" {
				names = append(names, c.Name)
			}
		}
		return nil, nil, fmt.Errorf("no channel %q in the spec; its sandbox channels are %s", name, strings.Join(names, ", "))
	}
	if ch.Type != "sandbox" {
		return nil, nil, fmt.Errorf("channel %s is of type %q, not a sandbox", name, ch.Type)
	}
	sb, err := sandbox.OpenChannel(ctx, adapters.Setup{Name: ch.Name, Currency: ch.Currency, Scale: ch.Scale, SpecDir: s.Dir, Config: ch.Config, Eval: s.Eval, Now: a.env.Now})
	if err != nil {
		return nil, nil, err
	}
	return sb, ch, nil
}

// openSandbox loads the spec and opens its sandbox channel of that name.
func (a *app) openSandbox(ctx context.Context, name string) (*spec.Spec, *sandbox.Channel, *spec.Channel, error) {
	s, err := a.loadSpec()
	if err != nil {
		return nil, nil, nil, err
	}
	sb, ch, err := a.sandboxChannel(ctx, s, name)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, sb, ch, nil
}

// channelSKU maps a catalog SKU to the channel's own.
func channelSKU(s *spec.Spec, ch *spec.Channel, sku string) (string, error) {
	p, _, ok := s.Product(sku)
	if !ok {
		return "", fmt.Errorf("no SKU %q in the catalog", sku)
	}
	cs, listed := ch.ChannelSKU(p)
	if !listed {
		return "", fmt.Errorf("%s is not listed on %s (its %s is empty)", sku, ch.Name, ch.SKUColumn)
	}
	return cs, nil
}

func (a *app) sandboxReset() *cobra.Command {
	return &cobra.Command{
		Use:   "reset",
		Short: "Delete the sandbox: its listings, warehouse, orders and faults",
		Long: `reset deletes the sandbox of every sandbox channel and stock source of the spec, as
if it had never been used: the next apply creates every listing again and the
warehouse starts from its opening stock. accord's own state (what it applied, the
exceptions) is kept; the next plan shows the listings as missing and creates them.`,
		Args: argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			dirs := map[string]bool{}
			for _, ch := range s.Channels {
				if ch.Type == "sandbox" {
					cfg, err := sandbox.DecodeConfig(adapters.Setup{Name: ch.Name, SpecDir: s.Dir, Config: ch.Config, Eval: s.Eval})
					if err != nil {
						return err
					}
					dirs[cfg.Dir] = true
				}
			}
			for _, src := range s.StockSources {
				if src.Type == "sandbox" {
					dirs[sourceDir(s, src)] = true
				}
			}
			if len(dirs) == 0 {
				return errors.New("the spec has no sandbox channel or stock source")
			}
			pr := newPrinter(a.env.Stdout)
			for _, d := range slices.Sorted(maps.Keys(dirs)) {
				found, err := sandbox.Reset(d)
				if err != nil {
					return err
				}
				if found {
					pr.printf("Reset the sandbox in %s.\n", d)
				} else {
					pr.printf("No sandbox in %s yet.\n", d)
				}
			}
			return pr.err
		},
	}
}

func (a *app) sandboxShow() *cobra.Command {
	var sel filter
	cmd := &cobra.Command{
		Use:   "show [CHANNEL]",
		Short: "Show the sandbox's listings",
		Args:  argsBetween(0, 1, "CHANNEL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			w := bufio.NewWriter(a.env.Stdout)
			pr := newPrinter(w)
			t := pr.table()
			t.println("CHANNEL\tSKU\tQUANTITY\tPRICE\tCOMPARE AT\tSTATUS\tFIELDS")
			// A listing created more than once would be a duplicate
			// product on a real channel, and orders the warehouse could
			// not cover were oversold: both said under the table.
			var notes []string
			for _, ch := range s.Channels {
				if ch.Type != "sandbox" || (len(args) == 1 && args[0] != ch.Name) {
					continue
				}
				sb, _, err := a.sandboxChannel(ctx, s, ch.Name)
				if err != nil {
					return err
				}
				var skus []string
				for _, sku := range sel.skus {
					cs, err := channelSKU(s, ch, sku)
					if err != nil {
						return errors.Join(err, sb.Close())
					}
					skus = append(skus, cs)
				}
				err = sb.Observe(ctx, skus, func(page []adapters.Listing) error {
					for _, l := range page {
						var fields []string
						for _, f := range l.Fields {
							fields = append(fields, fmt.Sprintf("%s=%q", f.Name, clip(f.Value, 40)))
						}
						t.printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ch.Name, l.SKU, qtyText(l.Quantity),
							dashed(adapters.Money(l.Price, ch.Scale)), dashed(adapters.Money(l.CompareAt, ch.Scale)), l.Status, strings.Join(fields, " "))
					}
					return nil
				})
				if err == nil {
					var dups map[string]int64
					dups, err = sb.Duplicates(ctx)
					for _, sku := range slices.Sorted(maps.Keys(dups)) {
						if len(sel.skus) == 0 || slices.Contains(skus, sku) {
							notes = append(notes, fmt.Sprintf("! %s %s was created %d times: on a real channel, %d duplicate products", ch.Name, sku, dups[sku], dups[sku]-1))
						}
					}
				}
				if err == nil {
					var orders, units int64
					orders, units, err = sb.Oversells(ctx, skus...)
					if orders > 0 {
						notes = append(notes, fmt.Sprintf("! %s: %s oversold %s", ch.Name, plural(int(orders), "order"), plural(int(units), "unit")))
					}
				}
				if err = errors.Join(err, sb.Close()); err != nil {
					return err
				}
			}
			t.flush()
			for _, line := range notes {
				pr.printf("%s\n", line)
			}
			if pr.err != nil {
				return pr.err
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&sel.skus, "sku", nil, "only this catalog SKU (repeatable)")
	return cmd
}

func (a *app) sandboxSet() *cobra.Command {
	return &cobra.Command{
		Use:   "set CHANNEL SKU FIELD=VALUE...",
		Short: "Edit a listing outside accord, as a person in a seller portal would",
		Long: `set changes fields of one sandbox listing behind accord's back: quantity, price,
compare_at, status (active or inactive) or any listing field. An empty value
clears it. The next plan shows the difference as drift.`,
		Args: argsBetween(3, -1, "CHANNEL", "SKU", "FIELD=VALUE"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			s, sb, ch, err := a.openSandbox(ctx, args[0])
			if err != nil {
				return err
			}
			defer closeWith(&err, sb)
			cs, err := channelSKU(s, ch, args[1])
			if err != nil {
				return err
			}
			for _, kv := range args[2:] {
				field, value, ok := strings.Cut(kv, "=")
				if !ok || field == "" {
					return fmt.Errorf("%q: write FIELD=VALUE, such as price=19.99", kv)
				}
				if err := sb.Set(ctx, cs, field, value); err != nil {
					return err
				}
				if _, err := fmt.Fprintf(a.env.Stdout, "%s %s: %s set to %q\n", ch.Name, args[1], field, value); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// negativeFlag is pflag's complaint about a negative number taken for
// shorthand flags: "unknown shorthand flag: '3' in -3".
var negativeFlag = regexp.MustCompile(`shorthand flag: '\d' in (-\d+)$`)

func (a *app) sandboxSell() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sell CHANNEL SKU UNITS",
		Short: "Record an order: the channel's quantity and the sandbox warehouse both fall",
		Long: `sell places a customer's order on a sandbox channel. The customer buys what the
channel lists: an order for more units than the listing shows is refused. An
order taken lowers the listing's quantity and draws the sandbox warehouse; units
the warehouse does not hold are oversold (sandbox show counts them).`,
		Args: argsExactly("CHANNEL", "SKU", "UNITS"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			units, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil || units < 1 {
				return fmt.Errorf("units %q: sell a whole number of units, at least 1", args[2])
			}
			s, sb, ch, err := a.openSandbox(ctx, args[0])
			if err != nil {
				return err
			}
			defer closeWith(&err, sb)
			cs, err := channelSKU(s, ch, args[1])
			if err != nil {
				return err
			}
			o, err := sb.Sell(ctx, cs, args[1], units)
			var refused *sandbox.RefusedError
			if errors.As(err, &refused) {
				said := *refused
				said.SKU = args[1] // the catalog SKU, as the command was given it
				return &said
			}
			if err != nil {
				return err
			}
			over := ""
			if o.Oversold > 0 {
				over = fmt.Sprintf("; oversold %d: the warehouse had %d", o.Oversold, o.Units-o.Oversold)
			}
			_, err = fmt.Fprintf(a.env.Stdout, "%s: sold %d of %s; %d left listed there%s\n", ch.Name, units, args[1], o.Left, over)
			return err
		},
	}
	cmd.SetFlagErrorFunc(unitsFlagError("sell"))
	return cmd
}

// unitsFlagError says what is wrong with "-3" as a command's number of
// units, which pflag takes for shorthand flags.
func unitsFlagError(verb string) func(*cobra.Command, error) error {
	return func(_ *cobra.Command, err error) error {
		if m := negativeFlag.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("units %q: %s a whole number of units, at least 1", m[1], verb)
		}
		return err
	}
}

// sourceDir is the sandbox directory of a stock source of type "sandbox".
func sourceDir(s *spec.Spec, src *spec.StockSource) string {
	d := src.Dir
	if d == "" {
		d = sandbox.DefaultDir
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(s.Dir, filepath.FromSlash(d))
	}
	return d
}

// sandboxSource is the spec's sandbox stock source of that name, or its
// only one when name is "".
func sandboxSource(s *spec.Spec, name string) (*spec.StockSource, error) {
	var found []*spec.StockSource
	var names []string
	for _, src := range s.StockSources {
		if src.Type == "sandbox" {
			found = append(found, src)
			names = append(names, src.Name)
		}
	}
	switch {
	case len(found) == 0:
		return nil, errors.New(`the spec has no stock_source of type "sandbox": restock adds to the sandbox warehouse such a source reads`)
	case name != "":
		for _, src := range found {
			if src.Name == name {
				return src, nil
			}
		}
		return nil, fmt.Errorf("--source %q: the spec's sandbox stock sources are %s", name, strings.Join(names, ", "))
	case len(found) > 1:
		return nil, fmt.Errorf("the spec has %d sandbox stock sources (%s): say which with --source", len(found), strings.Join(names, ", "))
	}
	return found[0], nil
}

func (a *app) sandboxRestock() *cobra.Command {
	var source string
	cmd := &cobra.Command{
		Use:   "restock SKU UNITS",
		Short: "Receive a delivery: the sandbox warehouse's on-hand units rise",
		Long: `restock adds UNITS to the on-hand units of a catalog SKU in the sandbox warehouse
(the stock_source of type "sandbox"), as a delivery from a supplier would. The
next plan derives the channels' quantities from the new stock. A warehouse never
stocked is first stocked from its opening stock, as accord's first read would.`,
		Args: argsExactly("SKU", "UNITS"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			sku := args[0]
			units, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || units < 1 {
				return fmt.Errorf("units %q: restock a whole number of units, at least 1", args[1])
			}
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			if _, _, ok := s.Product(sku); !ok {
				return fmt.Errorf("no SKU %q in the catalog", sku)
			}
			src, err := sandboxSource(s, source)
			if err != nil {
				return err
			}
			// Read the source as accord does, so that a warehouse never
			// stocked gets its opening stock before the delivery.
			read := map[string][]byte{}
			_, diags := sandbox.StockKind.Read(ctx, adapters.StockSetup{Name: src.Name, SpecDir: s.Dir, File: src.File, Dir: src.Dir,
				Range: src.Range, FileRange: src.FileRange, Sources: read, Now: a.env.Now})
			if diags.HasErrors() {
				maps.Copy(read, s.Sources)
				a.printDiags(diags, read)
				return exitError{ExitError}
			}
			w, err := sandbox.OpenWarehouse(ctx, sourceDir(s, src))
			if err != nil {
				return err
			}
			defer closeWith(&err, w)
			onHand, err := w.Restock(ctx, sku, units)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.env.Stdout, "%s: received %d of %s; %d on hand\n", src.Name, units, sku, onHand)
			return err
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the sandbox stock source to restock, when the spec has more than one")
	cmd.SetFlagErrorFunc(unitsFlagError("restock"))
	return cmd
}

func (a *app) sandboxFaults() *cobra.Command {
	var f sandbox.Faults
	var clearAll bool
	var sellOnApply []string
	// settings are the names of the command's own flags: they set faults.
	// The global flags that cobra adds to the same set when it parses
	// (--dir, --no-color...) do not, and show them as no flag does.
	var settings []string
	setting := func(name string) string {
		settings = append(settings, name)
		return name
	}
	cmd := &cobra.Command{
		Use:   "faults CHANNEL",
		Short: "Make a sandbox channel unreliable, or show how unreliable it is",
		Long: `faults sets what goes wrong when accord applies to a sandbox channel: shares of
requests throttled (HTTP 429 with Retry-After), failing with a 5xx or timing out
(half of the timeouts land anyway), shares of items in a batch that fail for a
moment or are rejected for good. Without flags it prints the channel's faults;
--clear removes them. Flags given replace the channel's whole fault set.

Three test hooks: --crash-after N kills the applying process (SIGKILL) right after
its Nth batch lands; --interrupt-after N sends it SIGINT there, as Ctrl-C would;
--sell-on-apply SKU=N lands an order just before the first apply request that
writes that SKU's quantity.`,
		Args: argsExactly("CHANNEL"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			s, sb, ch, err := a.openSandbox(ctx, args[0])
			if err != nil {
				return err
			}
			defer closeWith(&err, sb)
			if slices.ContainsFunc(settings, cmd.Flags().Changed) {
				if clearAll {
					f = sandbox.Faults{}
				}
				for _, kv := range sellOnApply {
					sku, n, ok := strings.Cut(kv, "=")
					units, err := strconv.ParseInt(n, 10, 64)
					if !ok || err != nil {
						return fmt.Errorf("--sell-on-apply %q: write SKU=UNITS", kv)
					}
					cs, err := channelSKU(s, ch, sku)
					if err != nil {
						return err
					}
					f.SellOnApply = append(f.SellOnApply, sandbox.Sale{SKU: cs, StockSKU: sku, Units: units})
				}
				if err := sb.SetFaults(ctx, f); err != nil {
					return fmt.Errorf("faults of %s: %w", ch.Name, err)
				}
			}
			cur, err := sb.Faults(ctx)
			if err != nil {
				return err
			}
			if cur.IsZero() {
				_, err = fmt.Fprintf(a.env.Stdout, "%s: no faults\n", ch.Name)
				return err
			}
			b, err := json.MarshalIndent(cur, "", "  ")
			if err != nil {
				return fmt.Errorf("faults of %s: %w", ch.Name, err)
			}
			_, err = fmt.Fprintf(a.env.Stdout, "%s: %s\n", ch.Name, b)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Throttle, setting("throttle"), "", "share of requests refused with 429, such as 10%")
	fl.StringVar(&f.ServerError, setting("server-error"), "", "share of requests failing with a 5xx")
	fl.StringVar(&f.Timeout, setting("timeout"), "", "share of requests timing out")
	fl.StringVar(&f.Partial, setting("partial"), "", "share of items in a batch failing for a moment")
	fl.StringVar(&f.Reject, setting("reject"), "", "share of items rejected for good")
	fl.StringVar(&f.RetryAfter, setting("retry-after"), "", "Retry-After of a throttled response, such as 2s (default 1s)")
	fl.Uint64Var(&f.Seed, setting("seed"), 0, "seed for reproducible faults")
	fl.IntVar(&f.CrashAfter, setting("crash-after"), 0, "test hook: kill the applying process after this many batches")
	fl.IntVar(&f.InterruptAfter, setting("interrupt-after"), 0, "test hook: send the applying process SIGINT after this many batches")
	fl.StringArrayVar(&sellOnApply, setting("sell-on-apply"), nil, "test hook: SKU=UNITS sold just before the apply writes that SKU's quantity (repeatable)")
	fl.BoolVar(&clearAll, setting("clear"), false, "remove every fault")
	return cmd
}
