package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
)

// GuardError is a plan that breaks the spec's guard block.
type GuardError struct {
	Blocked []string
}

func (e *GuardError) Error() string {
	return "the plan breaks the spec's guards (apply --force to go ahead anyway): " + strings.Join(e.Blocked, "; ")
}

// ApplyOptions tune an apply.
type ApplyOptions struct {
	// Force applies a plan that breaks the spec's guards.
	Force bool
	// Progress is told of every change settled.
	Progress func(settled int)
	// MaxAttempts, InitialBackoff and MaxBackoff tune retries (see package
	// apply for the defaults).
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// Apply pushes a plan to its channels, journaled in the store, and records
// the plan's exceptions and the changes that failed.
func (c *Controller) Apply(ctx context.Context, p *plan.Plan, o ApplyOptions) (*apply.Report, error) {
	if c.Store == nil {
		return nil, errors.New("apply needs the state store")
	}
	if len(p.Blocked) > 0 && !o.Force {
		return nil, &GuardError{Blocked: p.Blocked}
	}
	targets := map[string]apply.Target{}
	for i := range p.Changes {
		name := p.Changes[i].Channel
		if _, ok := targets[name]; ok {
			continue
		}
		ch, err := c.Channel(ctx, name)
		if err != nil {
			return nil, err
		}
		targets[name] = apply.Target{Channel: ch, ChannelSKU: func(sku string) string { return c.ChannelSKU(name, sku) }}
	}
	runID, err := c.Store.StartRun(ctx, p.Revision)
	if err != nil {
		return nil, err
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep, applyErr := apply.Apply(ctx, p, apply.Options{
		Spec: c.Spec, Targets: targets, Journal: c.Store, RunID: runID,
		Refresh:     c.refresher(p.At),
		MaxAttempts: o.MaxAttempts, InitialBackoff: o.InitialBackoff, MaxBackoff: o.MaxBackoff,
		Progress: o.Progress, Log: log,
	})
	// The rest is bookkeeping, done even when the apply was cut short.
	bg := context.WithoutCancel(ctx)
	var errs []error
	if applyErr != nil {
		errs = append(errs, applyErr)
	}
	// An exception about a field this apply changed (drift corrected, a
	// quantity over its allocation lowered) is over; the rest stay open.
	unsettled := map[store.FieldKey]bool{}
	if rep != nil {
		for _, f := range rep.Failed {
			unsettled[store.FieldKey{Channel: f.Change.Channel, SKU: f.Change.SKU, Field: f.Change.Field}] = true
		}
	}
	if applyErr != nil {
		for i := range p.Changes {
			ch := &p.Changes[i]
			unsettled[store.FieldKey{Channel: ch.Channel, SKU: ch.SKU, Field: ch.Field}] = true
		}
	}
	changed := map[store.FieldKey]bool{}
	for i := range p.Changes {
		ch := &p.Changes[i]
		k := store.FieldKey{Channel: ch.Channel, SKU: ch.SKU, Field: ch.Field}
		changed[k] = !unsettled[k]
	}
	if err := c.recordExceptions(bg, p, changed); err != nil {
		errs = append(errs, err)
	}
	if rep != nil && len(rep.Failed) > 0 {
		failed := make([]store.Exception, 0, len(rep.Failed))
		for _, f := range rep.Failed {
			failed = append(failed, store.Exception{Code: plan.CodeApplyFailed, Channel: f.Change.Channel, SKU: f.Change.SKU, Field: f.Change.Field,
				Observed: f.Change.From, Expected: f.Change.To, Action: "report", Message: fmt.Sprintf("%s: %s", f.Kind, f.Reason)})
		}
		if err := c.Store.AddExceptions(bg, p.Revision, failed); err != nil {
			errs = append(errs, err)
		}
	}
	summary := "interrupted"
	failed := applyErr != nil
	if rep != nil {
		summary = rep.Summary()
		failed = failed || len(rep.Failed) > 0
	}
	if err := c.Store.FinishRun(bg, runID, summary, failed); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// RecordExceptions records a plan's exceptions in the store: new ones are
// opened, those no longer seen on the plan's channels are resolved.
// apply_failed exceptions are left for a person (or a later success).
func (c *Controller) RecordExceptions(ctx context.Context, p *plan.Plan) error {
	return c.recordExceptions(ctx, p, nil)
}

func (c *Controller) recordExceptions(ctx context.Context, p *plan.Plan, settled map[store.FieldKey]bool) error {
	seen := make([]store.Exception, 0, len(p.Exceptions))
	for _, e := range p.Exceptions {
		if settled[store.FieldKey{Channel: e.Channel, SKU: e.SKU, Field: e.Field}] {
			continue
		}
		seen = append(seen, toStore(e))
	}
	_, _, err := c.Store.SyncExceptions(ctx, p.Revision, p.Channels, seen, []string{plan.CodeApplyFailed})
	return err
}

func toStore(e plan.Exception) store.Exception {
	return store.Exception{Code: e.Code, Channel: e.Channel, SKU: e.SKU, Field: e.Field, Observed: e.Observed, Expected: e.Expected, Action: e.Action, Message: e.Message}
}

// refresher observes listings again after a compare-and-set conflict and
// derives their quantity anew from fresh stock.
func (c *Controller) refresher(at time.Time) func(ctx context.Context, channel string, skus []string) (map[string]apply.Refreshed, error) {
	return func(ctx context.Context, channel string, skus []string) (map[string]apply.Refreshed, error) {
		obs, err := c.Observe(ctx, []string{channel}, skus)
		if err != nil {
			return nil, err
		}
		res, err := c.Derive(ctx, at, skus)
		if err != nil {
			return nil, err
		}
		desired := map[string]adapters.Value{}
		for i := range res.Listings {
			l := &res.Listings[i]
			if l.Channel == channel {
				desired[l.SKU] = adapters.QuantityValue(l.Quantity)
			}
		}
		byChannelSKU := map[string]*adapters.Listing{}
		for i := range obs[channel] {
			byChannelSKU[obs[channel][i].SKU] = &obs[channel][i]
		}
		out := map[string]apply.Refreshed{}
		for _, sku := range skus {
			l := byChannelSKU[c.ChannelSKU(channel, sku)]
			if l == nil {
				continue
			}
			out[sku] = apply.Refreshed{Observed: adapters.QuantityValue(l.Quantity), Desired: desired[sku]}
		}
		return out, nil
	}
}

// Recovered is what Recover found of an apply that was cut short.
type Recovered struct {
	Batches int
	// Landed and Lost count the journaled changes found on the channel and
	// not found there.
	Landed, Lost int
}

// Recover settles the batches an apply journaled as sent and never
// completed (the process was killed): each is observed on its channel, and
// the changes found in place are recorded as applied, once, exactly as if
// the apply had lived to hear the answer. Changes not found in place are
// left to the next plan, which sends them again.
func (c *Controller) Recover(ctx context.Context) (Recovered, error) {
	var r Recovered
	if c.Store == nil {
		return r, nil
	}
	pending, err := c.Store.PendingBatches(ctx)
	if err != nil {
		return r, err
	}
	for _, b := range pending {
		sc, _, ok := c.Spec.Channel(b.Channel)
		if !ok {
			c.logger().Warn("an interrupted apply journaled a batch for a channel the spec no longer has; left as it is",
				slog.String("channel", b.Channel), slog.Int64("batch", b.ID))
			continue
		}
		var skus []string
		for _, ch := range b.Changes {
			skus = append(skus, ch.SKU)
		}
		obs, err := c.Observe(ctx, []string{b.Channel}, dedupe(skus))
		if err != nil {
			return r, fmt.Errorf("recover batch %d: %w", b.ID, err)
		}
		idx := map[string]*adapters.Listing{}
		for i := range obs[b.Channel] {
			idx[obs[b.Channel][i].SKU] = &obs[b.Channel][i]
		}
		landed := make([]bool, len(b.Changes))
		for i, ch := range b.Changes {
			v, _ := ObservedValue(idx[c.ChannelSKU(b.Channel, ch.SKU)], ch.Field, sc.Scale)
			landed[i] = v == ch.To
			if landed[i] {
				r.Landed++
			} else {
				r.Lost++
			}
		}
		if err := c.Store.RecoverBatch(ctx, b.ID, landed); err != nil {
			return r, err
		}
		r.Batches++
	}
	return r, nil
}

func (c *Controller) logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}
