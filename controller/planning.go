package controller

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// DiagnosticsError stops a reconcile on bad input that is not the spec's
// own (a stock file with a bad row): its diagnostics, and the files they
// point into for their snippets.
type DiagnosticsError struct {
	Diags   hcl.Diagnostics
	Sources map[string][]byte
}

func (e *DiagnosticsError) Error() string { return e.Diags.Error() }

// makePlan reads stock and derives the desired state while it observes the
// channels (the two at once), and diffs them into a plan. Each channel's
// listings are compared page by page as they arrive: a channel's first page
// waits for the derivation, so that no more than a page per channel is ever
// held. A channel that cannot be read is the plan's ChannelError and gets
// no changes; the others are planned. c.mu is held.
func (c *Controller) makePlan(ctx context.Context, s *spec.Spec, rev string, conns map[string]*conn, o Options) (*plan.Plan, *derive.Result, error) {
	channels := o.Channels
	if channels == nil {
		for _, ch := range s.Channels {
			channels = append(channels, ch.Name)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		res       *derive.Result
		deriveErr error
		derived   = make(chan struct{}) // closed when res and differ are set, or deriveErr
		differ    *plan.Differ
	)
	start := time.Now()
	go func() {
		defer close(derived)
		defer func() {
			if deriveErr != nil {
				cancel() // no plan without desired state: stop observing
			}
		}()
		levels, sources, diags := c.readStock(ctx, s)
		if err := ctx.Err(); err != nil {
			deriveErr = err
			return
		}
		if diags.HasErrors() {
			deriveErr = &DiagnosticsError{Diags: diags, Sources: sources}
			return
		}
		if res, deriveErr = derive.Desired(ctx, s, derive.Options{At: o.At, Stock: levels, SKUs: o.SKUs}); deriveErr != nil {
			return
		}
		c.log().Debug("derived", slog.Int("listings", len(res.Listings)), slog.Int("findings", len(res.Findings)), slog.Duration("duration", time.Since(start)))
		differ = plan.NewDiffer(plan.Input{
			Spec: s, Desired: res, History: c.history(),
			Channels: channels, SKUs: o.SKUs, Revision: rev, Now: c.now(),
		})
	}()
	// ready waits for the derivation.
	ready := func() (*plan.Differ, error) {
		<-derived
		if deriveErr != nil {
			return nil, fmt.Errorf("no desired state: %w", deriveErr)
		}
		return differ, nil
	}
	errs := c.observeEach(ctx, s, conns, channels, o.SKUs, func(i int, page []adapters.Listing) error {
		d, err := ready()
		if err != nil {
			return err
		}
		d.Page(channels[i], page)
		return nil
	}, func(i int, ch adapters.Channel) error {
		d, err := ready()
		if err != nil {
			return err
		}
		creator, _ := ch.(adapters.Creator)
		d.Done(channels[i], creator)
		c.log().Debug("observed and compared", slog.String("channel", channels[i]), slog.Duration("duration", time.Since(start)))
		return nil
	})
	<-derived
	if deriveErr != nil {
		return nil, nil, deriveErr
	}
	var failed []plan.ChannelError
	for i, err := range errs {
		if err == nil {
			continue
		}
		differ.Drop(channels[i])
		reason := adapters.ReasonOf(err)
		c.log().Info("channel not observed", slog.String("channel", channels[i]), slog.String("reason", string(reason)), slog.Any("err", err))
		failed = append(failed, plan.ChannelError{Channel: channels[i], Reason: reason, Message: err.Error()})
	}
	p, err := differ.Plan(ctx)
	if err != nil {
		return nil, nil, err
	}
	p.ChannelErrors = failed
	keep := map[string]bool{}
	for _, ch := range channels {
		keep[ch] = true
	}
	for _, f := range res.Findings {
		if f.Severity == derive.Error && (f.Channel == "" || keep[f.Channel]) {
			p.Errors = append(p.Errors, findingText(f))
		}
	}
	return p, res, nil
}

// findingText is a derivation error as a plan carries it.
func findingText(f derive.Finding) string {
	var where []string
	for _, w := range []string{f.Channel, f.SKU, f.Field} {
		if w != "" {
			where = append(where, w)
		}
	}
	text := f.Code + ": " + f.Message
	if len(where) > 0 {
		text = strings.Join(where, " ") + ": " + text
	}
	if f.Range.Filename != "" {
		text += fmt.Sprintf(" (%s:%d)", f.Range.Filename, f.Range.Start.Line)
	}
	return text
}

// history is the store as the diff's history, nil without a store.
func (c *Controller) history() plan.History {
	if c.cfg.Store == nil {
		return nil
	}
	return c.cfg.Store
}

// StaleError says why a saved plan may not be applied.
type StaleError struct {
	Reason string
}

func (e *StaleError) Error() string { return "the saved plan is stale: " + e.Reason }

// SavedPlanError is a saved plan whose changes are not what the spec asks
// for at the plan's instant, or that carries a change twice: a plan is a
// claim, checked before anything of it is sent. Edited reports that the
// file's changes do not match the checksum accord plan wrote with them.
type SavedPlanError struct {
	Edited bool
	// Problems are the first few changes found wrong, and More how many
	// others there are.
	Problems []string
	More     int
}

func (e *SavedPlanError) Error() string {
	var b strings.Builder
	if e.Edited {
		b.WriteString("the saved plan was edited after accord plan wrote it (its changes do not match their checksum); nothing of it is applied")
	} else {
		b.WriteString("the saved plan does not match the spec at its instant; nothing of it is applied")
	}
	if len(e.Problems) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Problems, "; "))
		if e.More > 0 {
			fmt.Fprintf(&b, " (and %d more)", e.More)
		}
	} else if e.Edited {
		b.WriteString(": its changes agree with the spec, but what else was altered cannot be told")
	}
	b.WriteString("; run accord plan again")
	return b.String()
}

// problems collects what is wrong with a saved plan, the first few in
// words.
type problems struct {
	list []string
	more int
}

func (p *problems) add(format string, args ...any) {
	if len(p.list) < 5 {
		p.list = append(p.list, fmt.Sprintf(format, args...))
		return
	}
	p.more++
}

// checkSaved refuses a saved plan made from another revision of the spec,
// an errored one, one edited since it was written, one that carries a
// change twice or a change that is not what the spec asks for at the
// plan's instant (re-derived now: a price under its floor, a quantity
// the stock does not have, a field the listing rules do not give, a SKU
// the catalog does not have), or one of whose changes touches a value that
// has moved on the channel since the plan observed it. Changes elsewhere
// on a channel do not make the plan stale. The plan's guards are checked
// again: what it says of them is not taken on trust. c.mu is held.
func (c *Controller) checkSaved(ctx context.Context, s *spec.Spec, rev string, conns map[string]*conn, p *plan.Plan) error {
	if p.Revision != rev {
		return &StaleError{Reason: fmt.Sprintf("it was made from spec revision %s and the spec is now at %s; run accord plan again", p.Revision, rev)}
	}
	if p.Errored() {
		return fmt.Errorf("the saved plan was made from a desired state with errors and cannot be applied: %s", p.Errors[0])
	}
	bySKU := map[string][]string{}
	var skus []string
	for i := range p.Changes {
		ch := &p.Changes[i]
		bySKU[ch.Channel] = append(bySKU[ch.Channel], ch.SKU)
		skus = append(skus, ch.SKU)
	}
	var channels []string
	for ch := range bySKU {
		if _, _, ok := s.Channel(ch); !ok {
			if p.Edited() {
				return &SavedPlanError{Edited: true, Problems: []string{fmt.Sprintf("it changes channel %s, which the spec does not have", ch)}}
			}
			return &StaleError{Reason: fmt.Sprintf("it changes channel %s, which the spec no longer has", ch)}
		}
		channels = append(channels, ch)
	}
	sort.Strings(channels)
	if err := c.checkSavedChanges(ctx, s, p, dedupe(skus)); err != nil {
		return err
	}
	p.Blocked = plan.Guards(s, p.Changes)
	var moved []string
	count := 0
	for _, name := range channels {
		obs, err := c.observe(ctx, s, conns, []string{name}, dedupe(bySKU[name]))
		if err != nil {
			return err
		}
		idx := indexBySKU(obs[name])
		sc, _, _ := s.Channel(name)
		for i := range p.Changes {
			ch := &p.Changes[i]
			if ch.Channel != name {
				continue
			}
			now, present := adapters.ValueOf(idx[channelSKU(s, name, ch.SKU)], ch.Kind, ch.Field, sc.Scale)
			if ch.Kind == adapters.KindCreate {
				if present {
					count++
					if len(moved) < 5 {
						moved = append(moved, fmt.Sprintf("%s %s now exists on the channel", name, ch.SKU))
					}
				}
				continue
			}
			if now != ch.From {
				count++
				if len(moved) < 5 {
					moved = append(moved, fmt.Sprintf("%s %s %s was %s when planned and is %s now", name, ch.SKU, ch.Name(), ch.From, now))
				}
			}
		}
	}
	if count > 0 {
		more := ""
		if count > len(moved) {
			more = fmt.Sprintf(" (and %d more)", count-len(moved))
		}
		return &StaleError{Reason: fmt.Sprintf("%d of its values moved on the channels since it was made: %s%s; run accord plan again", count, strings.Join(moved, "; "), more)}
	}
	return nil
}

// checkSavedChanges derives the desired state of the plan's SKUs again at
// its instant, from the stock now, and checks that every change sets what
// the spec asks for, once.
func (c *Controller) checkSavedChanges(ctx context.Context, s *spec.Spec, p *plan.Plan, skus []string) error {
	var bad problems
	seen := map[store.FieldKey]bool{}
	for i := range p.Changes {
		ch := &p.Changes[i]
		k := store.FieldKey{Channel: ch.Channel, SKU: ch.SKU, Field: ch.Name()}
		if seen[k] {
			bad.add("%s %s %s is changed twice", ch.Channel, ch.SKU, ch.Name())
		}
		seen[k] = true
	}
	levels, sources, diags := c.readStock(ctx, s)
	if diags.HasErrors() {
		return &DiagnosticsError{Diags: diags, Sources: sources}
	}
	res, err := derive.Desired(ctx, s, derive.Options{At: p.At, Stock: levels, SKUs: skus})
	if err != nil {
		return fmt.Errorf("check the saved plan: %w", err)
	}
	desired := make(map[adapters.Key]*derive.Listing, len(res.Listings))
	for i := range res.Listings {
		l := &res.Listings[i]
		desired[adapters.Key{Channel: l.Channel, SKU: l.SKU}] = l
	}
	promotions := map[string]*spec.Promotion{}
	for _, pr := range s.Promotions {
		promotions[pr.Name] = pr
	}
	for i := range p.Changes {
		ch := &p.Changes[i]
		dl := desired[adapters.Key{Channel: ch.Channel, SKU: ch.SKU}]
		if dl == nil {
			if _, _, known := s.Product(ch.SKU); !known {
				bad.add("%s %s: the catalog has no SKU %s", ch.Channel, ch.SKU, ch.SKU)
			} else {
				bad.add("%s %s: the spec does not list it on %s", ch.Channel, ch.SKU, ch.Channel)
			}
			continue
		}
		want := &dl.Listing
		sc, _, _ := s.Channel(ch.Channel)
		if ch.Kind == adapters.KindPrice || ch.Kind == adapters.KindCompareAt {
			if sale := plan.SaleOf(dl, promotions[dl.Promotion]); !plan.SameSale(ch.Sale, sale) {
				bad.add("%s %s %s: the plan's promotion is %s, and the spec gives %s", ch.Channel, ch.SKU, ch.Name(), saleText(ch.Sale), saleText(sale))
			}
		}
		if ch.Kind == adapters.KindCreate {
			if ch.Listing == nil {
				bad.add("%s %s: a listing to create without the listing", ch.Channel, ch.SKU)
				continue
			}
			if prod, _, ok := s.Product(ch.SKU); ok && !slices.Equal(ch.Listing.Identifiers, plan.Identifiers(prod)) {
				bad.add("%s %s: the new listing's product identifiers are %s in the plan, and the catalog gives %s", ch.Channel, ch.SKU,
					identifierText(ch.Listing.Identifiers), identifierText(plan.Identifiers(prod)))
			}
			for _, jc := range apply.ListingFields(ch, sc.Scale) {
				if w, _ := adapters.ValueOf(want, adapters.KindOf(jc.Field), fieldOf(jc.Field), sc.Scale); w != jc.To {
					bad.add("%s %s: the new listing's %s is %s in the plan, and the spec gives %s", ch.Channel, ch.SKU, jc.Field, jc.To, w)
				}
			}
			continue
		}
		if w, _ := adapters.ValueOf(want, ch.Kind, ch.Field, sc.Scale); w != ch.To {
			bad.add("%s %s %s: the plan sets %s, and the spec gives %s", ch.Channel, ch.SKU, ch.Name(), ch.To, w)
		}
	}
	if len(bad.list) > 0 || p.Edited() {
		return &SavedPlanError{Edited: p.Edited(), Problems: bad.list, More: bad.more}
	}
	return nil
}

// fieldOf is the listing field a journaled name names, "" for the
// reserved ones.
func fieldOf(name string) string {
	if adapters.KindOf(name) == adapters.KindField {
		return name
	}
	return ""
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// identifierText renders product identifiers as "asin B0..., gtin ...", or
// "none".
func identifierText(ids []adapters.Field) string {
	if len(ids) == 0 {
		return "none"
	}
	parts := make([]string, len(ids))
	for i, f := range ids {
		parts[i] = f.Name + " " + f.Value
	}
	return strings.Join(parts, ", ")
}

// saleText renders a sale for a refusal: its promotion and window, or
// "none".
func saleText(sl *adapters.Sale) string {
	if sl == nil {
		return "none"
	}
	return fmt.Sprintf("%s (%s, regular %s, %s to %s)", sl.Promotion, sl.Price, sl.Regular,
		sl.Starts.UTC().Format(time.RFC3339), sl.Ends.UTC().Format(time.RFC3339))
}
