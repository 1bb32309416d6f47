package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// apply pushes a plan to its channels, journaled in the store as a run
// under the lease, and records the plan's exceptions in scope and the
// changes that failed. Changes for a channel whose adapter could not be
// opened fail without being sent. c.mu is held.
func (c *Controller) apply(ctx context.Context, s *spec.Spec, conns map[string]*conn, p *plan.Plan, scope store.Scope, lease *held, o Options) (*apply.Report, error) {
	targets := map[string]apply.Target{}
	unsendable := map[string]string{} // channel -> why
	for i := range p.Changes {
		name := p.Changes[i].Channel
		if _, seen := targets[name]; seen {
			continue
		}
		if _, seen := unsendable[name]; seen {
			continue
		}
		switch cn := conns[name]; {
		case cn == nil:
			unsendable[name] = fmt.Sprintf("the spec has no channel %q", name)
		case cn.err != nil:
			unsendable[name] = fmt.Sprintf("channel not opened (%s): %v", adapters.ReasonOf(cn.err), cn.err)
		default:
			targets[name] = apply.Target{Channel: cn.ch, ChannelSKU: func(sku string) string { return channelSKU(s, name, sku) }}
		}
	}
	// The other channels the reconcile looked at can be written too: an
	// order found during the apply may call for a correction on them.
	for _, name := range p.Channels {
		if _, seen := targets[name]; seen || !p.Observed(name) {
			continue
		}
		if cn := conns[name]; cn != nil && cn.err == nil {
			targets[name] = apply.Target{Channel: cn.ch, ChannelSKU: func(sku string) string { return channelSKU(s, name, sku) }}
		}
	}
	sendable := p
	var skipped []apply.Failure
	if len(unsendable) > 0 {
		// Only then is the plan copied, without the changes of channels
		// that cannot be written.
		kept := *p
		kept.Changes = nil
		for i := range p.Changes {
			ch := &p.Changes[i]
			if why, ok := unsendable[ch.Channel]; ok {
				skipped = append(skipped, apply.Failure{Change: *ch, Kind: "failed", Reason: why})
				continue
			}
			kept.Changes = append(kept.Changes, *ch)
		}
		sendable = &kept
	}
	st := c.cfg.Store
	runID, err := st.StartRun(ctx, p.Revision, lease.lease.ID)
	if err != nil {
		return nil, err
	}
	rep, applyErr := apply.Apply(ctx, sendable, apply.Options{
		Spec: s, Targets: targets, Journal: st, RunID: runID,
		Refresh:     c.refresher(s, conns, p.At),
		Observe:     c.observer(s, conns),
		Siblings:    siblings(s),
		MaxAttempts: o.MaxAttempts, InitialBackoff: o.InitialBackoff, MaxBackoff: o.MaxBackoff,
		Progress: o.Progress, Waiting: o.Waiting, Log: c.log(),
		Revisions: st, Now: c.cfg.Now,
	})
	if rep != nil {
		rep.Total += len(skipped)
		rep.Failed = append(rep.Failed, skipped...)
	}
	// The rest is bookkeeping, done even when the apply was cut short.
	bg := background(ctx)
	var errs []error
	if applyErr != nil {
		errs = append(errs, applyErr)
	}
	// An exception about a field this apply changed (drift corrected, a
	// quantity over its allocation lowered) is over; the rest stay open.
	unsettled := map[store.FieldKey]bool{}
	if rep != nil {
		for _, f := range rep.Failed {
			unsettled[fieldKey(&f.Change)] = true
		}
	}
	if applyErr != nil {
		for i := range p.Changes {
			unsettled[fieldKey(&p.Changes[i])] = true
		}
	}
	changed := map[store.FieldKey]bool{}
	for i := range p.Changes {
		k := fieldKey(&p.Changes[i])
		changed[k] = !unsettled[k]
	}
	// A change held for the channel's daily revision limit is an
	// exception while it is held, and over once it is not (it landed, or
	// the spec no longer asks for it).
	var held []store.Exception
	if rep != nil {
		for _, f := range rep.Failed {
			if f.Kind == apply.KindHeld {
				held = append(held, store.Exception{Code: plan.CodeRevisionHeld, Channel: f.Change.Channel, SKU: f.Change.SKU, Field: f.Change.Name(),
					Observed: f.Change.From, Expected: f.Change.To, Action: "hold", Message: f.Reason})
			}
		}
	}
	if err := c.recordExceptions(bg, p, scope, changed, held); err != nil {
		errs = append(errs, err)
	}
	if rep != nil && len(rep.Failed) > len(held) {
		failed := make([]store.Exception, 0, len(rep.Failed))
		for _, f := range rep.Failed {
			if f.Kind == apply.KindHeld {
				continue
			}
			failed = append(failed, store.Exception{Code: plan.CodeApplyFailed, Channel: f.Change.Channel, SKU: f.Change.SKU, Field: f.Change.Name(),
				Observed: f.Change.From, Expected: f.Change.To, Action: "report", Message: fmt.Sprintf("%s: %s", f.Kind, f.Reason)})
		}
		if err := st.AddExceptions(bg, p.Revision, failed); err != nil {
			errs = append(errs, err)
		}
	}
	summary := "interrupted"
	failed := applyErr != nil
	if rep != nil {
		summary = rep.Summary()
		failed = failed || len(rep.Failed) > 0
	}
	if err := st.FinishRun(bg, runID, summary, failed); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

func fieldKey(c *plan.Change) store.FieldKey {
	return store.FieldKey{Channel: c.Channel, SKU: c.SKU, Field: c.Name()}
}

// scope is what a reconcile looked at: the plan's channels that were read,
// and the SKUs it was narrowed to.
func (c *Controller) scope(p *plan.Plan, o Options) store.Scope {
	sc := store.Scope{SKUs: o.SKUs}
	for _, ch := range p.Channels {
		if p.Observed(ch) {
			sc.Channels = append(sc.Channels, ch)
		}
	}
	return sc
}

// recordExceptions records a plan's exceptions in the store: new ones are
// opened, those in scope no longer seen are resolved; apply_failed
// exceptions are left for a person (or a later success). An exception about
// a field in settled (changed by this apply) is over: a drift is recorded
// as opened and resolved, the others not at all. also are exceptions the
// apply found, seen with the plan's. settled is nil when nothing was
// applied.
func (c *Controller) recordExceptions(ctx context.Context, p *plan.Plan, scope store.Scope, settled map[store.FieldKey]bool, also []store.Exception) error {
	seen := make([]store.Exception, 0, len(p.Exceptions)+len(also))
	seen = append(seen, also...)
	var corrected []store.Exception
	for _, e := range p.Exceptions {
		ex := store.Exception{Code: e.Code, Channel: e.Channel, SKU: e.SKU, Field: e.Field, Observed: e.Observed, Expected: e.Expected, Action: e.Action, Message: e.Message}
		if settled[store.FieldKey{Channel: e.Channel, SKU: e.SKU, Field: e.Field}] {
			// A drift undone is history: opened and resolved at once.
			if e.Code == plan.CodeDrift {
				corrected = append(corrected, ex)
			}
			continue
		}
		seen = append(seen, ex)
	}
	if err := c.cfg.Store.RecordSettled(ctx, p.Revision, corrected); err != nil {
		return err
	}
	keep := []string{plan.CodeApplyFailed}
	if settled == nil {
		// No apply: whether a held change is still held is not known.
		keep = append(keep, plan.CodeRevisionHeld)
	}
	_, _, err := c.cfg.Store.SyncExceptions(ctx, p.Revision, scope, seen, keep)
	return err
}

// refresher observes listings again after a compare-and-set conflict and
// derives their quantity anew from fresh stock.
func (c *Controller) refresher(s *spec.Spec, conns map[string]*conn, at time.Time) func(ctx context.Context, channel string, skus []string) (map[string]apply.Refreshed, error) {
	return func(ctx context.Context, channel string, skus []string) (map[string]apply.Refreshed, error) {
		obs, err := c.observe(ctx, s, conns, []string{channel}, skus)
		if err != nil {
			return nil, err
		}
		levels, _, diags := c.readStock(ctx, s)
		if diags.HasErrors() {
			return nil, &DiagnosticsError{Diags: diags}
		}
		res, err := derive.Desired(ctx, s, derive.Options{At: at, Stock: levels, SKUs: skus})
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
		idx := indexBySKU(obs[channel])
		out := map[string]apply.Refreshed{}
		for _, sku := range skus {
			l := idx[channelSKU(s, channel, sku)]
			if l == nil {
				continue
			}
			out[sku] = apply.Refreshed{Observed: adapters.QuantityValue(l.Quantity), Desired: desired[sku], Ref: l.Ref}
		}
		return out, nil
	}
}

// observer reads listings by catalog SKU, for an apply to settle changes
// whose outcome is unknown.
func (c *Controller) observer(s *spec.Spec, conns map[string]*conn) func(ctx context.Context, channel string, skus []string) (map[string]*adapters.Listing, error) {
	return func(ctx context.Context, channel string, skus []string) (map[string]*adapters.Listing, error) {
		obs, err := c.observe(ctx, s, conns, []string{channel}, skus)
		if err != nil {
			return nil, err
		}
		idx := indexBySKU(obs[channel])
		out := make(map[string]*adapters.Listing, len(skus))
		for _, sku := range skus {
			if l := idx[channelSKU(s, channel, sku)]; l != nil {
				out[sku] = l
			}
		}
		return out, nil
	}
}

// siblings is, for each channel, the other channels of the inventory pools
// it sells from.
func siblings(s *spec.Spec) func(channel string) []string {
	of := map[string][]string{}
	for _, p := range s.Pools {
		for _, a := range p.Channels {
			for _, b := range p.Channels {
				if a != b && !slices.Contains(of[a], b) {
					of[a] = append(of[a], b)
				}
			}
		}
	}
	return func(channel string) []string { return of[channel] }
}
