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
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Mode says how far a reconcile goes.
type Mode int

const (
	// Plan observes, derives and diffs; it changes nothing.
	Plan Mode = iota
	// Apply also applies the plan, under the state's lease.
	Apply
)

// Options tune one reconcile.
type Options struct {
	Mode Mode
	// At is the instant the desired state is derived for (zero: now).
	At time.Time
	// Channels and SKUs (catalog SKUs) narrow the reconcile; nil: all.
	// Exceptions are opened and resolved for what it looked at only.
	Channels []string
	SKUs     []string
	// Saved is a plan made earlier (accord plan --out) to apply as it is,
	// once checked against the spec and the channels, instead of planning.
	Saved *plan.Plan
	// Force applies a plan that breaks the spec's guards.
	Force bool
	// Review sees the result so far (what was recovered, the plan) before
	// anything is applied, and says whether to go ahead: a person at a
	// terminal. Nil goes ahead. It is asked in Apply mode about every
	// plan, so that it can show it; a plan that changes nothing, is
	// errored or breaks a guard without Force is then not applied
	// whatever it answers.
	Review func(ctx context.Context, r *Result) (bool, error)
	// Progress is told of every change settled.
	Progress func(settled int)
	// Waiting is told when a channel's changes wait before being sent
	// again (throttled, failed), for a progress display.
	Waiting func(channel string, wait time.Duration, why string)
	// MaxAttempts, InitialBackoff and MaxBackoff tune retries (see package
	// apply for the defaults).
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// LockTimeout is how long an apply waits for another holder of the
	// state's lease; 0 fails at once, naming the holder.
	LockTimeout time.Duration
	// Log, when set, is the logger of this reconcile: the daemon's, with
	// the reconcile's number and the commit.
	Log *slog.Logger
	// RecordExceptions has a Plan-mode reconcile record the exceptions it
	// saw in the store, as an apply does: the daemon keeps them live when
	// it does not apply (--apply none).
	RecordExceptions bool
}

// Result is what a reconcile did.
type Result struct {
	// Revision is the spec's (see Revision).
	Revision string
	// Plan is the plan made (or the saved one applied); nil when the
	// reconcile stopped before it had one.
	Plan *plan.Plan
	// Findings are the derivation's findings (errors and warnings) at the
	// plan's instant; none for a saved plan. The derived listings
	// themselves are not kept: an apply of 600k changes does not need
	// 600k desired listings alive beside them.
	Findings []derive.Finding
	// Recovered is what an earlier, interrupted apply left and this one
	// settled first.
	Recovered Recovered
	// Report is what the apply did; nil when nothing was applied.
	Report *apply.Report
}

// Why a reconcile did not apply its plan.
var (
	// ErrErrored is a plan made from a desired state with errors.
	ErrErrored = errors.New("the desired state has errors; nothing is applied until they are fixed (accord validate lists them)")
	// ErrCancelled is a plan the review turned down.
	ErrCancelled = errors.New("apply cancelled")
)

// GuardError is a plan that breaks the spec's guard block.
type GuardError struct {
	Blocked []string
}

func (e *GuardError) Error() string {
	return "the plan breaks the spec's guards (" + strings.Join(e.Blocked, "; ") + "); review it, then apply --force to go ahead"
}

// ChannelsError is a reconcile some of whose channels could not be read or
// written while the others were: the result holds what was done.
type ChannelsError struct {
	Channels []plan.ChannelError
}

func (e *ChannelsError) Error() string {
	parts := make([]string, len(e.Channels))
	for i, ch := range e.Channels {
		parts[i] = fmt.Sprintf("%s (%s)", ch.Channel, ch.Reason)
	}
	return fmt.Sprintf("%d %s not read: %s", len(parts), plural(len(parts), "channel was", "channels were"), strings.Join(parts, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Reconcile takes s from its desired state to the channels: it plans and,
// with o.Mode Apply, applies, as the package comment says. The error says
// why it stopped; the result holds what was done before, the plan above all,
// even with an error (an errored plan, a guard, a channel that failed).
func (c *Controller) Reconcile(ctx context.Context, s *spec.Spec, o Options) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.Log != nil {
		c.rlog.Store(o.Log)
		defer c.rlog.Store(nil)
	}
	if o.At.IsZero() {
		o.At = c.now()
	}
	res := &Result{Revision: Revision(s)}
	log := c.log().With(slog.String("revision", res.Revision))
	if o.Mode == Apply && c.cfg.Store == nil {
		return res, errors.New("apply needs the state store")
	}
	if o.Saved != nil && o.Mode != Apply {
		return res, errors.New("a saved plan is only applied")
	}
	conns := c.connect(ctx, s)

	// An apply holds the state's lease from before it settles what an
	// earlier apply left until its last batch is recorded. Losing it
	// (force-unlock, or an expiry another process took over) stops the
	// sending at once.
	var lease *held
	if o.Mode == Apply {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		var err error
		if ld := c.lead; ld != nil {
			// A daemon that leads applies under the lease it holds.
			if lease, err = ld.use(cancel); err != nil {
				return res, err
			}
			defer func() { _, _ = ld.use(nil) }()
		} else {
			if lease, err = c.acquire(ctx, o.LockTimeout, cancel); err != nil {
				return res, err
			}
			defer c.release(background(ctx), lease)
		}
		if res.Recovered, err = c.recover(ctx, s, conns); err != nil {
			return res, fmt.Errorf("settle an interrupted apply: %w", err)
		}
	}

	if o.Saved != nil {
		if err := c.checkSaved(ctx, s, res.Revision, conns, o.Saved); err != nil {
			return res, err
		}
		res.Plan = o.Saved
	} else {
		start := time.Now()
		p, desired, err := c.makePlan(ctx, s, res.Revision, conns, o)
		if err != nil {
			return res, err
		}
		res.Plan, res.Findings = p, desired.Findings
		log.Debug("planned", slog.Int("changes", len(p.Changes)), slog.Int("exceptions", len(p.Exceptions)),
			slog.Int("channel_errors", len(p.ChannelErrors)), slog.Duration("duration", time.Since(start)))
	}
	p := res.Plan
	if o.Mode == Plan {
		var err error
		if o.RecordExceptions && c.cfg.Store != nil {
			err = c.recordExceptions(ctx, p, c.scope(p, o), nil, nil)
		}
		return res, errors.Join(err, channelsErr(p))
	}
	hold(p, res.Recovered.Held)

	if o.Review != nil {
		ok, err := o.Review(ctx, res)
		if err != nil {
			return res, err
		}
		if !ok {
			return res, ErrCancelled
		}
	}
	if p.Errored() {
		return res, ErrErrored
	}
	if !p.Empty() && len(p.Blocked) > 0 && !o.Force {
		return res, &GuardError{Blocked: p.Blocked}
	}
	scope := c.scope(p, o)
	if p.Empty() {
		return res, errors.Join(c.recordExceptions(ctx, p, scope, nil, nil), channelsErr(p))
	}
	rep, err := c.apply(ctx, s, conns, p, scope, lease, o)
	res.Report = rep
	if lease != nil && lease.lostErr != nil {
		err = errors.Join(lease.lostErr, err)
	}
	return res, errors.Join(err, channelsErr(p))
}

// channelsErr is the plan's unread channels as an error, or nil.
func channelsErr(p *plan.Plan) error {
	if len(p.ChannelErrors) == 0 {
		return nil
	}
	return &ChannelsError{Channels: p.ChannelErrors}
}

// hold takes out of the plan every change to a listing a channel is still
// processing an earlier submission for, and says so in an exception: a
// change is never sent again (a create least of all) before the channel
// says what became of the one it holds.
func hold(p *plan.Plan, held map[adapters.Key]string) {
	if len(held) == 0 {
		return
	}
	kept := p.Changes[:0]
	noted := map[adapters.Key]bool{}
	for _, ch := range p.Changes {
		k := adapters.Key{Channel: ch.Channel, SKU: ch.SKU}
		sub, ok := held[k]
		if !ok {
			kept = append(kept, ch)
			continue
		}
		if !noted[k] {
			noted[k] = true
			p.Exceptions = append(p.Exceptions, plan.Exception{Code: plan.CodeSubmissionPending, Channel: ch.Channel, SKU: ch.SKU, Action: "report",
				Message: fmt.Sprintf("%s is still processing %s, which changes this listing; nothing more is sent for it until the channel says what became of it", ch.Channel, sub)})
		}
	}
	p.Changes = kept
}
