package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// statePath is where the state store lives: --state, or .accord/state.db
// beside the spec.
func (a *app) statePath() string {
	if a.state != "" {
		return a.state
	}
	return filepath.Join(a.dir, ".accord", "state.db")
}

// openController opens the state store and a controller on it for the
// named command; done closes both. A command that only reads (plan) uses
// the state when there is one and creates none; one that writes (apply)
// creates it.
func (a *app) openController(ctx context.Context, owner string, writes bool) (*controller.Controller, func(), error) {
	var st *store.Store
	var err error
	if writes {
		st, err = store.Open(ctx, a.statePath(), a.env.Now)
	} else {
		st, err = a.existingState(ctx)
	}
	if err != nil {
		return nil, nil, err
	}
	if st != nil && st.IntegrityChecked() {
		a.log.Debug("the state database was not closed cleanly (or is open elsewhere); SQLite's integrity check found it sound", slog.String("state", a.statePath()))
	}
	c := controller.New(controller.Config{
		Registry: a.registry(), Store: st, Now: a.env.Now, Log: a.log,
		UserAgent: "accord/" + moduleVersion(), Owner: owner,
	})
	done := func() {
		if err := c.Close(); err != nil {
			a.log.Warn("closing channels", slog.Any("err", err))
		}
		if st == nil {
			return
		}
		if err := st.Close(); err != nil {
			a.log.Warn("closing the state store", slog.Any("err", err))
		}
	}
	return c, done, nil
}

// reconcileOptions are the options --at and the filter give, checked
// against the spec.
func (a *app) reconcileOptions(s *spec.Spec, at string, sel filter) (controller.Options, error) {
	if err := sel.check(s); err != nil {
		return controller.Options{}, err
	}
	t, err := a.instant(at, s.Settings.Timezone)
	if err != nil {
		return controller.Options{}, err
	}
	o := controller.Options{At: t}
	if len(sel.channels) > 0 {
		o.Channels = sel.channels
	}
	if len(sel.skus) > 0 {
		o.SKUs = sel.skus
	}
	return o, nil
}

// reconcileFailed prints what goes with a reconcile's error (the
// diagnostics of bad stock data, the derivation's errors with their spec
// lines) and returns the error to end the command with.
func (a *app) reconcileFailed(s *spec.Spec, res *controller.Result, err error) error {
	var de *controller.DiagnosticsError
	if errors.As(err, &de) {
		sources := map[string][]byte{}
		for k, v := range s.Sources {
			sources[k] = v
		}
		for k, v := range de.Sources {
			sources[k] = v
		}
		a.printDiags(de.Diags, sources)
		return exitError{ExitError}
	}
	if res != nil && res.Plan != nil && res.Plan.Errored() {
		at := res.Plan.At
		var errs []derive.TimedFinding
		for _, f := range res.Findings {
			if f.Severity == derive.Error && (f.Channel == "" || res.Plan.Observed(f.Channel) && contains(res.Plan.Channels, f.Channel)) {
				errs = append(errs, derive.TimedFinding{Finding: f, At: at})
			}
		}
		a.printDiags(findingDiags(errs, at, s.Settings.Timezone), s.Sources)
		return fmt.Errorf("the desired state has %s; nothing is applied until they are fixed (accord validate lists them)", plural(len(res.Plan.Errors), "error"))
	}
	var ge *controller.GuardError
	if errors.As(err, &ge) {
		return errors.New("refusing to apply: the plan breaks the spec's guards (see above); review it, then apply --force to go ahead")
	}
	var held *store.LeaseHeldError
	if errors.As(err, &held) {
		return fmt.Errorf("%w; wait for it (--lock-timeout), or, if that process is gone, accord force-unlock %s", err, held.Lease.ID)
	}
	return err
}

// scales are each channel's minor-unit places, for the plan's money.
func scales(s *spec.Spec) map[string]int32 {
	m := make(map[string]int32, len(s.Channels))
	for _, ch := range s.Channels {
		m[ch.Name] = ch.Scale
	}
	return m
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (a *app) planCommand() *cobra.Command {
	var at, format, out, jsonOut string
	var detailed bool
	var sel filter
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what accord would change on every channel",
		Long: `plan observes every channel, derives the desired state and shows the difference:
the changes apply would make (each with its reason: spec, the desired value moved,
or drift, the channel was changed outside accord) and the exceptions a person
should look at. It changes nothing.

Exit status: 0 success, 1 error; with --detailed-exitcode, 2 when there are changes.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" && format != "markdown" {
				return fmt.Errorf("--format %q: use text, json or markdown", format)
			}
			ctx := cmd.Context()
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			o, err := a.reconcileOptions(s, at, sel)
			if err != nil {
				return err
			}
			c, done, err := a.openController(ctx, "accord plan", false)
			if err != nil {
				return err
			}
			defer done()
			o.Mode = controller.Plan
			res, recErr := c.Reconcile(ctx, s, o)
			if res.Plan == nil {
				return a.reconcileFailed(s, res, recErr)
			}
			p := res.Plan
			var failed error
			if p.Errored() {
				failed = a.reconcileFailed(s, res, recErr)
			}
			if out != "" && failed == nil {
				if err := writeFileAtomic(out, func(w io.Writer) error { return p.WriteJSON(w, scales(s)) }); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
			}
			if jsonOut != "" {
				if err := writeFileAtomic(jsonOut, func(w io.Writer) error { return p.WriteJSON(w, scales(s)) }); err != nil {
					return fmt.Errorf("--json-out: %w", err)
				}
			}
			w := bufio.NewWriter(a.env.Stdout)
			switch format {
			case "json":
				err = p.WriteJSON(w, scales(s))
			case "markdown":
				err = writePlanMarkdown(w, s, p)
			default:
				err = writePlanText(w, s, p, a.colorOn(a.env.Stdout))
				if err == nil && out != "" && failed == nil {
					_, err = fmt.Fprintf(w, "\nSaved the plan to %s; accord apply %s applies exactly these changes.\n", out, out)
				}
			}
			if err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if failed != nil {
				return failed
			}
			if recErr != nil {
				// Channels that could not be read: the plan above covers
				// the others, and the command fails.
				return recErr
			}
			if detailed && !p.Empty() {
				return exitError{ExitChanges}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "plan for this time (RFC 3339, or local to the spec's time zone); default now")
	f.StringVar(&format, "format", "text", "output format: text, json or markdown")
	f.StringVar(&out, "out", "", "save the plan to this file, for accord apply FILE")
	f.StringVar(&jsonOut, "json-out", "", "also write the plan as JSON to this file")
	f.BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when the plan has changes")
	sel.flags(cmd)
	return cmd
}

// writeFileAtomic writes a file through a temporary file and a rename.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".accord-*")
	if err != nil {
		return err
	}
	defer func() {
		// After a successful rename the temporary name is gone; before it,
		// the partial file is removed so a failed write leaves nothing.
		if rerr := os.Remove(tmp.Name()); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := bw.Flush(); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// maxDetail is how many change lines a channel shows before the rest is
// summarised.
const maxDetail = 25

func summaryRows(p *plan.Plan) [][]string {
	var rows [][]string
	for _, cs := range p.Summarize() {
		ex := "-"
		if len(cs.Exceptions) > 0 {
			var parts []string
			for _, code := range plan.ExceptionCodes(cs.Exceptions) {
				parts = append(parts, fmt.Sprintf("%d %s", cs.Exceptions[code], code))
			}
			ex = strings.Join(parts, ", ")
		}
		prices := "-"
		if cs.PriceRises+cs.PriceCuts > 0 {
			var parts []string
			if cs.PriceRises > 0 {
				parts = append(parts, fmt.Sprintf("%d up (max +%s%%)", cs.PriceRises, cs.MaxRise.Shift(2).StringFixed(1)))
			}
			if cs.PriceCuts > 0 {
				parts = append(parts, fmt.Sprintf("%d down (max -%s%%)", cs.PriceCuts, cs.MaxCut.Shift(2).StringFixed(1)))
			}
			prices = strings.Join(parts, ", ")
		}
		qty := "-"
		if cs.QuantityUp+cs.QuantityDown > 0 {
			var parts []string
			if cs.QuantityUp > 0 {
				parts = append(parts, fmt.Sprintf("%d up", cs.QuantityUp))
			}
			if cs.QuantityDown > 0 {
				parts = append(parts, fmt.Sprintf("%d down", cs.QuantityDown))
			}
			if cs.Zeroed > 0 {
				parts = append(parts, fmt.Sprintf("%d to zero", cs.Zeroed))
			}
			qty = strings.Join(parts, ", ")
		}
		rows = append(rows, []string{cs.Channel, fmt.Sprint(cs.Changes), prices, qty, dash(cs.Created), dash(cs.CompareAt), dash(cs.Fields), dash(cs.Drift), ex})
	}
	return rows
}

func dash(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

var summaryHeader = []string{"CHANNEL", "CHANGES", "PRICES", "QUANTITIES", "CREATED", "COMPARE-AT", "FIELDS", "DRIFT FIXED", "EXCEPTIONS"}

// changeLine renders one change, Terraform style.
func changeLine(s *spec.Spec, c *plan.Change) (sign, text string) {
	if c.Kind == adapters.KindCreate {
		l := c.Listing
		var parts []string
		if l.Quantity.Valid {
			parts = append(parts, fmt.Sprintf("quantity %d", l.Quantity.Units))
		}
		scale := int32(2)
		if ch, _, ok := s.Channel(c.Channel); ok {
			scale = ch.Scale
		}
		if l.Price.Valid {
			parts = append(parts, "price "+l.Price.Decimal.StringFixed(scale))
		}
		if l.CompareAt.Valid {
			parts = append(parts, "compare_at "+l.CompareAt.Decimal.StringFixed(scale))
		}
		if t, ok := l.Field("title"); ok {
			parts = append(parts, fmt.Sprintf("title %q", clip(t, 40)))
		}
		if asin := l.Identifier("asin"); asin != "" {
			// An offer on a product the channel has (Amazon).
			parts = append(parts, "on ASIN "+asin)
		}
		return "+", fmt.Sprintf("%s\tcreate\t%s", c.SKU, strings.Join(parts, ", "))
	}
	from, to := c.From.String(), c.To.String()
	if c.Kind == adapters.KindField {
		from, to = quoteValue(c.From), quoteValue(c.To)
	}
	reason := ""
	if c.Reason == plan.ReasonDrift {
		reason = "  (drift)"
	}
	return "~", fmt.Sprintf("%s\t%s\t%s -> %s%s", c.SKU, c.Name(), from, to, reason)
}

func quoteValue(v adapters.Value) string {
	if !v.Set {
		return "(none)"
	}
	return fmt.Sprintf("%q", clip(v.Text, 40))
}

func writePlanText(w io.Writer, s *spec.Spec, p *plan.Plan, color bool) error {
	pr := newPrinter(w)
	green, yellow, red, bold, reset := "", "", "", "", ""
	if color {
		green, yellow, red, bold, reset = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[1m", "\x1b[0m"
	}
	pr.printf("%saccord plan%s for spec revision %s, at %s\n\n", bold, reset, p.Revision, p.At.In(s.Settings.Timezone).Format(time.RFC3339))
	t := pr.table()
	t.println(strings.Join(summaryHeader, "\t"))
	for _, r := range summaryRows(p) {
		t.println(strings.Join(r, "\t"))
	}
	t.flush()

	byChannel := map[string][]int{}
	for i := range p.Changes {
		byChannel[p.Changes[i].Channel] = append(byChannel[p.Changes[i].Channel], i)
	}
	for _, ch := range p.Channels {
		idx := byChannel[ch]
		if len(idx) == 0 {
			continue
		}
		pr.printf("\n%s%s%s: %s\n", bold, ch, reset, plural(len(idx), "change"))
		t := pr.table()
		for n, i := range idx {
			if n == maxDetail {
				t.printf("  …\tand %d more\t(accord plan --channel %s --format json lists them all)\n", len(idx)-maxDetail, ch)
				break
			}
			sign, text := changeLine(s, &p.Changes[i])
			col := yellow
			if sign == "+" {
				col = green
			}
			t.printf("  %s%s%s %s\n", col, sign, reset, text)
		}
		t.flush()
	}
	if len(p.Exceptions) > 0 {
		pr.printf("\n%sExceptions%s: %d\n", bold, reset, len(p.Exceptions))
		t := pr.table()
		shown := map[string]int{}
		hidden := map[string]int{}
		for i := range p.Exceptions {
			e := &p.Exceptions[i]
			key := e.Channel + "\x00" + e.Code
			if shown[key] >= 10 {
				hidden[key]++
				continue
			}
			shown[key]++
			where := e.SKU
			if e.Field != "" {
				where += " " + e.Field
			}
			action := ""
			if e.Action != "" {
				action = " [" + e.Action + "]"
			}
			t.printf("  %s!%s %s\t%s\t%s\t%s%s\n", red, reset, e.Code, e.Channel, where, e.Message, action)
		}
		for _, ch := range p.Channels {
			for _, code := range []string{plan.CodeDrift, plan.CodeOversellRisk, plan.CodePriceParity, plan.CodeMAPViolation, plan.CodeUnmanagedListing, plan.CodeMissingListing} {
				if n := hidden[ch+"\x00"+code]; n > 0 {
					t.printf("  …\t%s\t%d more %s\t(--format json lists them all)\n", ch, n, code)
				}
			}
		}
		t.flush()
	}
	if len(p.ChannelErrors) > 0 {
		pr.printf("\n%sNot read%s: %s, planned without %s:\n", red, reset, plural(len(p.ChannelErrors), "channel"),
			map[bool]string{true: "it", false: "them"}[len(p.ChannelErrors) == 1])
		t := pr.table()
		for _, e := range p.ChannelErrors {
			t.printf("  %s!%s %s\t%s\t%s\n", red, reset, e.Channel, e.Reason, e.Message)
		}
		t.flush()
	}
	if len(p.Errors) > 0 {
		pr.printf("\n%sErrored%s: the desired state has %s (shown above); this plan cannot be applied.\n", red, reset, plural(len(p.Errors), "error"))
	}
	if len(p.Blocked) > 0 {
		pr.printf("\n%sBlocked by the spec's guards%s (accord apply refuses this plan without --force):\n", red, reset)
		for _, b := range p.Blocked {
			pr.printf("  - %s\n", b)
		}
	}
	pr.println()
	if p.Empty() {
		if n := len(p.ChannelErrors); n > 0 {
			pr.printf("No changes on the channels read; %s not read", plural(n, "channel"))
		} else {
			pr.printf("No changes. Every channel is in accord with the spec")
		}
		if len(p.Exceptions) > 0 {
			pr.printf(" (%s to look at)", plural(len(p.Exceptions), "exception"))
		}
		pr.println(".")
		return pr.err
	}
	chans := 0
	for _, ch := range p.Channels {
		if len(byChannel[ch]) > 0 {
			chans++
		}
	}
	notRead := ""
	if n := len(p.ChannelErrors); n > 0 {
		notRead = fmt.Sprintf("; %s not read", plural(n, "channel"))
	}
	pr.printf("Plan: %s on %s, %s%s.\n", plural(len(p.Changes), "change"), plural(chans, "channel"), plural(len(p.Exceptions), "exception"), notRead)
	return pr.err
}

func writePlanMarkdown(w io.Writer, s *spec.Spec, p *plan.Plan) error {
	pr := newPrinter(w)
	pr.printf("### accord plan\n\nSpec revision `%s`, at %s.\n\n", p.Revision, p.At.In(s.Settings.Timezone).Format(time.RFC3339))
	switch {
	case p.Empty() && len(p.ChannelErrors) == 0:
		pr.printf("**No changes.** Every channel is in accord with the spec.\n\n")
	case p.Empty():
		pr.printf("**No changes** on the channels read.\n\n")
	default:
		pr.printf("**%s**, %s.\n\n", plural(len(p.Changes), "change"), plural(len(p.Exceptions), "exception"))
	}
	if len(p.ChannelErrors) > 0 {
		pr.printf("> [!CAUTION]\n> %s not read, planned without:\n", plural(len(p.ChannelErrors), "channel"))
		for _, e := range p.ChannelErrors {
			pr.printf("> - **%s** (%s): %s\n", e.Channel, e.Reason, mdEscape(e.Message))
		}
		pr.printf("\n")
	}
	if len(p.Errors) > 0 {
		pr.printf("> [!CAUTION]\n> The desired state has %s; this plan cannot be applied:\n", plural(len(p.Errors), "error"))
		for _, e := range p.Errors {
			pr.printf("> - %s\n", mdEscape(e))
		}
		pr.printf("\n")
	}
	mdRow(pr, summaryHeader)
	seps := make([]string, len(summaryHeader))
	for i := range seps {
		seps[i] = "---"
	}
	mdRow(pr, seps)
	for _, r := range summaryRows(p) {
		mdRow(pr, r)
	}
	if len(p.Blocked) > 0 {
		pr.printf("\n> [!WARNING]\n> Blocked by the spec's guards; `accord apply` refuses this plan without `--force`:\n")
		for _, b := range p.Blocked {
			pr.printf("> - %s\n", mdEscape(b))
		}
	}
	byChannel := map[string][]int{}
	for i := range p.Changes {
		byChannel[p.Changes[i].Channel] = append(byChannel[p.Changes[i].Channel], i)
	}
	const mdMax = 200
	for _, ch := range p.Channels {
		idx := byChannel[ch]
		if len(idx) == 0 {
			continue
		}
		pr.printf("\n<details><summary><b>%s</b>: %s</summary>\n\n", ch, plural(len(idx), "change"))
		mdRow(pr, []string{"SKU", "FIELD", "FROM", "TO", "REASON"})
		mdRow(pr, []string{"---", "---", "---", "---", "---"})
		for n, i := range idx {
			if n == mdMax {
				pr.printf("\n…and %d more: `accord plan --channel %s --format json` lists them all.\n", len(idx)-mdMax, ch)
				break
			}
			c := &p.Changes[i]
			if c.Kind == adapters.KindCreate {
				_, text := changeLine(s, c)
				parts := strings.SplitN(text, "\t", 3)
				mdRow(pr, []string{c.SKU, "*create*", "", parts[2], c.Reason})
				continue
			}
			mdRow(pr, []string{c.SKU, c.Name(), c.From.String(), c.To.String(), c.Reason})
		}
		pr.printf("\n</details>\n")
	}
	if len(p.Exceptions) > 0 {
		pr.printf("\n<details><summary><b>Exceptions</b>: %d</summary>\n\n", len(p.Exceptions))
		mdRow(pr, []string{"CODE", "CHANNEL", "SKU", "FIELD", "MESSAGE", "ACTION"})
		mdRow(pr, []string{"---", "---", "---", "---", "---", "---"})
		for i, e := range p.Exceptions {
			if i == mdMax {
				pr.printf("\n…and %d more: `accord plan --format json` lists them all.\n", len(p.Exceptions)-mdMax)
				break
			}
			mdRow(pr, []string{e.Code, e.Channel, e.SKU, e.Field, e.Message, e.Action})
		}
		pr.printf("\n</details>\n")
	}
	return pr.err
}

func mdRow(pr *printer, cells []string) {
	var b bytes.Buffer
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" ")
		b.WriteString(mdEscape(c))
		b.WriteString(" |")
	}
	b.WriteString("\n")
	pr.printf("%s", b.Bytes())
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
