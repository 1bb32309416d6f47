// Package controller runs accord's pipeline for one spec: it opens the
// spec's channels through the adapter registry, observes them, derives the
// desired state, diffs the two against the store's history into a plan
// (package plan), and applies a plan (package apply) with its journal,
// audit log and exceptions kept in the store.
//
// It holds no state of its own between calls: every Plan reads the
// channels and the stock afresh.
package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// StockReader reads on-hand stock afresh.
type StockReader func(ctx context.Context) (derive.Stock, error)

// Controller ties one loaded spec to its channels and its store.
type Controller struct {
	Spec     *spec.Spec
	Registry *adapters.Registry
	Store    *store.Store
	Stock    StockReader
	Revision string
	Now      func() time.Time
	Log      *slog.Logger

	mu       sync.Mutex
	channels map[string]adapters.Channel
}

// Revision is the content hash of a spec's files: what a saved plan is
// checked against.
func Revision(s *spec.Spec) string {
	names := make([]string, 0, len(s.Sources))
	for n := range s.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		// A hash.Hash never returns an error from Write.
		_, _ = fmt.Fprintf(h, "%s\x00%d\x00", n, len(s.Sources[n]))
		h.Write(s.Sources[n])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Channel opens (once) and returns the adapter of a spec channel.
func (c *Controller) Channel(ctx context.Context, name string) (adapters.Channel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.channels[name]; ok {
		return ch, nil
	}
	sc, _, ok := c.Spec.Channel(name)
	if !ok {
		return nil, fmt.Errorf("no channel %q in the spec", name)
	}
	ch, err := c.Registry.Open(ctx, sc.Type, adapters.Setup{
		Name: sc.Name, Currency: sc.Currency, Scale: sc.Scale, SpecDir: c.Spec.Dir,
		Config: sc.Config, Eval: c.Spec.Eval, Now: c.Now,
	})
	if err != nil {
		return nil, err
	}
	if c.channels == nil {
		c.channels = map[string]adapters.Channel{}
	}
	c.channels[name] = ch
	return ch, nil
}

// Close closes every channel opened.
func (c *Controller) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, ch := range c.channels {
		if cl, ok := ch.(adapters.Closer); ok {
			errs = append(errs, cl.Close())
		}
	}
	c.channels = nil
	return errors.Join(errs...)
}

// channelSKUs maps catalog SKUs to a channel's own; skus nil gives nil.
func (c *Controller) channelSKUs(ch *spec.Channel, skus []string) []string {
	if skus == nil {
		return nil
	}
	out := make([]string, 0, len(skus))
	for _, sku := range skus {
		if p, _, ok := c.Spec.Product(sku); ok {
			if cs, listed := ch.ChannelSKU(p); listed {
				out = append(out, cs)
			}
		}
	}
	return out
}

// ChannelSKU maps one catalog SKU to the channel's own (itself when the
// product is unknown).
func (c *Controller) ChannelSKU(channel, sku string) string {
	ch, _, ok := c.Spec.Channel(channel)
	p, _, okp := c.Spec.Product(sku)
	if !ok || !okp {
		return sku
	}
	if cs, listed := ch.ChannelSKU(p); listed {
		return cs
	}
	return sku
}

// Observe reads what the channels hold now, in parallel; skus (catalog
// SKUs) nil reads everything. Listings are keyed by the channel's SKU.
func (c *Controller) Observe(ctx context.Context, channels []string, skus []string) (map[string][]adapters.Listing, error) {
	out := make(map[string][]adapters.Listing, len(channels))
	var mu sync.Mutex
	got := make([][]adapters.Listing, len(channels))
	err := c.observeEach(ctx, channels, skus, func(i int, page []adapters.Listing) error {
		got[i] = append(got[i], page...)
		return nil
	}, func(i int, _ adapters.Channel) error {
		mu.Lock()
		out[channels[i]] = got[i]
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// observeEach reads the channels in parallel, one goroutine each, and hands
// channel i's pages to page(i, ...) and then calls done(i, its adapter);
// both run on channel i's goroutine. A page slice is the adapter's and may
// be reused once page returns. skus (catalog SKUs) nil reads everything.
func (c *Controller) observeEach(ctx context.Context, channels []string, skus []string,
	page func(i int, page []adapters.Listing) error, done func(i int, ch adapters.Channel) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(channels))
	for i, name := range channels {
		wg.Go(func() {
			ch, err := c.Channel(ctx, name)
			if err != nil {
				errs[i] = err
				return
			}
			sc, _, _ := c.Spec.Channel(name)
			if want := c.channelSKUs(sc, skus); skus == nil || len(want) > 0 {
				err = ch.Observe(ctx, want, func(p []adapters.Listing) error { return page(i, p) })
				if err != nil {
					errs[i] = fmt.Errorf("observe %s: %w", name, err)
					return
				}
			}
			if err := done(i, ch); err != nil {
				errs[i] = fmt.Errorf("observe %s: %w", name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// PlanOptions select what a plan covers.
type PlanOptions struct {
	At       time.Time
	Channels []string // nil: every channel
	SKUs     []string // nil: every SKU
}

// Derive reads the stock and derives the desired state.
func (c *Controller) Derive(ctx context.Context, at time.Time, skus []string) (*derive.Result, error) {
	var st derive.Stock
	if c.Stock != nil {
		var err error
		if st, err = c.Stock(ctx); err != nil {
			return nil, err
		}
	}
	return derive.Derive(c.Spec, derive.Options{At: at, Stock: st, SKUs: skus}), nil
}

// Plan observes the channels and derives the desired state (the two at
// once) and diffs them into a plan. Each channel's listings are compared
// page by page as they arrive: a channel's first page waits for the
// derivation, so that no more than a page per channel is ever held.
func (c *Controller) Plan(ctx context.Context, o PlanOptions) (*plan.Plan, *derive.Result, error) {
	channels := o.Channels
	if channels == nil {
		for _, ch := range c.Spec.Channels {
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
		if res, deriveErr = c.Derive(ctx, o.At, o.SKUs); deriveErr != nil {
			cancel() // no plan without desired state: stop observing
			return
		}
		c.logger().Debug("derived", slog.Int("listings", len(res.Listings)), slog.Int("findings", len(res.Findings)), slog.Duration("duration", time.Since(start)))
		differ = plan.NewDiffer(plan.Input{
			Spec: c.Spec, Desired: res, History: c.history(),
			Channels: channels, SKUs: o.SKUs, Revision: c.Revision, Now: c.now(),
		})
	}()
	// ready waits for the derivation.
	ready := func() (*plan.Differ, error) {
		<-derived
		return differ, deriveErr
	}
	obsErr := c.observeEach(ctx, channels, o.SKUs, func(i int, page []adapters.Listing) error {
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
		d.Done(channels[i], ch.Limits().CanCreate)
		c.logger().Debug("observed and compared", slog.String("channel", channels[i]), slog.Duration("duration", time.Since(start)))
		return nil
	})
	<-derived
	if deriveErr != nil {
		return nil, nil, deriveErr
	}
	if obsErr != nil {
		return nil, nil, obsErr
	}
	p, err := differ.Plan(ctx)
	if err != nil {
		return nil, nil, err
	}
	return p, res, nil
}

// history is the store as the diff's history, nil without a store.
func (c *Controller) history() plan.History {
	if c.Store == nil {
		return nil
	}
	return c.Store
}

func (c *Controller) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// StaleError says why a saved plan may not be applied.
type StaleError struct {
	Reason string
}

func (e *StaleError) Error() string { return "the saved plan is stale: " + e.Reason }

// CheckSaved refuses a saved plan made from another revision of the spec,
// or one of whose changes touches a value that has moved on the channel
// since the plan observed it. Changes elsewhere on a channel do not make
// the plan stale.
func (c *Controller) CheckSaved(ctx context.Context, p *plan.Plan) error {
	if p.Revision != c.Revision {
		return &StaleError{Reason: fmt.Sprintf("it was made from spec revision %s and the spec is now at %s; run accord plan again", p.Revision, c.Revision)}
	}
	bySKU := map[string][]string{}
	for i := range p.Changes {
		ch := &p.Changes[i]
		bySKU[ch.Channel] = append(bySKU[ch.Channel], ch.SKU)
	}
	var channels []string
	for ch := range bySKU {
		if _, _, ok := c.Spec.Channel(ch); !ok {
			return &StaleError{Reason: fmt.Sprintf("it changes channel %s, which the spec no longer has", ch)}
		}
		channels = append(channels, ch)
	}
	sort.Strings(channels)
	var moved []string
	count := 0
	for _, name := range channels {
		obs, err := c.Observe(ctx, []string{name}, dedupe(bySKU[name]))
		if err != nil {
			return err
		}
		idx := map[string]*adapters.Listing{}
		for i := range obs[name] {
			idx[obs[name][i].SKU] = &obs[name][i]
		}
		sc, _, _ := c.Spec.Channel(name)
		for i := range p.Changes {
			ch := &p.Changes[i]
			if ch.Channel != name {
				continue
			}
			l := idx[c.ChannelSKU(name, ch.SKU)]
			now, present := ObservedValue(l, ch.Field, sc.Scale)
			if ch.Field == adapters.FieldListing {
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
					moved = append(moved, fmt.Sprintf("%s %s %s was %s when planned and is %s now", name, ch.SKU, ch.Field, ch.From, now))
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

// ObservedValue returns a field of an observed listing in canonical form,
// and whether the listing exists.
func ObservedValue(l *adapters.Listing, field string, scale int32) (adapters.Value, bool) {
	if l == nil {
		return adapters.Null, false
	}
	switch field {
	case adapters.FieldQuantity:
		return adapters.QuantityValue(l.Quantity), true
	case adapters.FieldPrice:
		return adapters.Money(l.Price, scale), true
	case adapters.FieldCompareAt:
		return adapters.Money(l.CompareAt, scale), true
	case adapters.FieldListing:
		return adapters.Null, true
	}
	if v, ok := l.Field(field); ok {
		return adapters.Text(v), true
	}
	return adapters.Null, true
}
