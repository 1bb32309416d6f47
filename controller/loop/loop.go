// Package loop is accord run, the daemon: it follows a spec's source and
// keeps the channels in accord with the source's newest good revision.
// Triggers (a new commit or file change, the git webhook, a full resync, a
// stock resync, a timer at the next promotion boundary, events the channels
// report) coalesce into reconciles that run one at a time.
//
// It is level-based: every reconcile aims at the newest revision that
// validates, so a revision whose apply keeps failing never holds back a
// newer one, and a commit that does not validate is refused (an exception
// names it) while the last good revision stays in force. A channel that
// fails is left out of the reconciles that follow for a while, longer each
// time; the others go on.
package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/controller/metrics"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Mode is what the daemon applies (--apply).
type Mode string

// The modes.
const (
	// ApplyAll applies every change: new revisions, drift, stock moves.
	ApplyAll Mode = "all"
	// ApplyDriftOnly heals drift and stock moves under the approved
	// revision; a new revision's changes wait as a pending plan until a
	// person approves it.
	ApplyDriftOnly Mode = "drift-only"
	// ApplyNone applies nothing: plans, and keeps exceptions live.
	ApplyNone Mode = "none"
)

// ParseMode reads --apply.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ApplyAll, ApplyDriftOnly, ApplyNone:
		return m, nil
	}
	return "", fmt.Errorf("--apply %q: write all, drift-only or none", s)
}

// Revision is a revision of the spec's source: a commit checked out, or a
// directory as it is.
type Revision struct {
	// Commit is the commit's SHA, "" for a directory.
	Commit  string
	Author  string
	Message string
	When    time.Time
	// Dir is the spec directory on disk at this revision.
	Dir string
}

// Source is where the spec comes from.
type Source interface {
	// Sync brings the spec to the source's newest revision and reports
	// whether it moved since the last Sync (the first one reports true).
	Sync(ctx context.Context) (Revision, bool, error)
}

// Changer is a Source that says when it may have moved (a watched
// directory), so that the loop syncs at once rather than at the next poll.
type Changer interface {
	Changed() <-chan struct{}
}

// Notice is something a person should hear of: an exception opened, an
// apply that failed, a commit refused, a plan waiting for approval.
type Notice struct {
	Kind     string // exception_opened, apply_failed, commit_refused, plan_pending
	Severity string // info, warning, error
	Title    string
	Text     string
	Commit   string
	Channel  string
	SKU      string
	Fields   map[string]string
}

// Config sets up a Loop.
type Config struct {
	Controller *controller.Controller
	// Store is the state; required.
	Store  *store.Store
	Source Source
	// Load reads the spec in a directory, with the sources of its files
	// (for the snippets of diagnostics).
	Load func(ctx context.Context, dir string) (*spec.Spec, map[string][]byte, hcl.Diagnostics)
	Mode Mode
	// Poll is how often the source is synced (default 1m); Resync how
	// often every listing is observed (default 10m); StockResync how often
	// the stock is read for SKUs whose on-hand moved (default 30s).
	Poll, Resync, StockResync time.Duration
	// ChannelBackoff is the first wait before a failing channel is tried
	// again (default 5s); it doubles up to MaxChannelBackoff (default
	// 10m).
	ChannelBackoff, MaxChannelBackoff time.Duration
	// Reconcile carries MaxAttempts, InitialBackoff and MaxBackoff for
	// every apply.
	Reconcile controller.Options
	Clock     Clock
	Log       *slog.Logger
	// Metrics and Notify may be nil.
	Metrics *metrics.Metrics
	Notify  func(Notice)
}

// Loop is the daemon's loop. Make one with New; Run runs it.
type Loop struct {
	cfg   Config
	kick  chan struct{}
	rearm chan struct{}

	mu sync.Mutex // guards everything below
	// current is the newest good revision, approved (drift-only) the one
	// in force; pending is the plan that waits for approval.
	current, approved *loaded
	pending           *plan.Plan
	refused           *Refused
	todo              work
	channels          map[string]*channelState
	last              *ReconcileStatus
	lastGood          time.Time
	ready             bool
	standby           string
	seq               int64
	open              map[int64]bool // open exception IDs, for exception_opened notices
	levels            stock.Levels
	nextBoundary      time.Time
	watching          context.CancelFunc
	// release and lost are the lease while this daemon leads (apply
	// modes): nil while it stands by.
	release func()
	lost    <-chan struct{}
}

// loaded is a revision and its spec.
type loaded struct {
	rev      Revision
	revision string
	spec     *spec.Spec
	// catalog maps a channel's SKU to the catalog's, for channels that
	// know products by a SKU of their own.
	catalog map[string]map[string]string
}

// Refused is a commit that did not validate.
type Refused struct {
	Commit      string
	Revision    string
	Diagnostics string
	At          time.Time
}

// work is what the triggers since the last reconcile ask for.
type work struct {
	sync     bool
	full     bool
	skus     map[string]bool
	triggers map[string]bool
}

func (w *work) add(trigger string, sync, full bool, skus ...string) {
	if w.triggers == nil {
		w.triggers = map[string]bool{}
	}
	w.triggers[trigger] = true
	w.sync = w.sync || sync
	w.full = w.full || full
	if len(skus) > 0 {
		if w.skus == nil {
			w.skus = map[string]bool{}
		}
		for _, s := range skus {
			w.skus[s] = true
		}
	}
}

func (w *work) empty() bool { return !w.sync && !w.full && len(w.skus) == 0 }

// trigger names what started a reconcile, for logs and metrics.
func (w *work) trigger() string {
	names := slices.Sorted(maps.Keys(w.triggers))
	if len(names) == 0 {
		return "start"
	}
	return strings.Join(names, "+")
}

// channelState is a channel's health as the loop sees it.
type channelState struct {
	failures    int
	retryAt     time.Time
	lastErr     string
	lastObserve time.Time
}

// New makes a loop.
func New(cfg Config) (*Loop, error) {
	if cfg.Controller == nil || cfg.Store == nil || cfg.Source == nil || cfg.Load == nil {
		return nil, errors.New("loop: a controller, a store, a source and a loader are required")
	}
	if cfg.Mode == "" {
		cfg.Mode = ApplyAll
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Minute
	}
	if cfg.Resync <= 0 {
		cfg.Resync = 10 * time.Minute
	}
	if cfg.StockResync <= 0 {
		cfg.StockResync = 30 * time.Second
	}
	if cfg.ChannelBackoff <= 0 {
		cfg.ChannelBackoff = 5 * time.Second
	}
	if cfg.MaxChannelBackoff <= 0 {
		cfg.MaxChannelBackoff = 10 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Loop{cfg: cfg, kick: make(chan struct{}, 1), rearm: make(chan struct{}, 1), channels: map[string]*channelState{}}, nil
}

// request adds to the work and wakes the loop.
func (l *Loop) request(trigger string, sync, full bool, skus ...string) {
	l.mu.Lock()
	l.todo.add(trigger, sync, full, skus...)
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Sync asks for the source to be synced now (the git webhook).
func (l *Loop) Sync(trigger string) { l.request(trigger, true, false) }

// Run runs the loop until ctx ends, then returns nil once the reconcile in
// progress has stopped (its batch in flight recorded). With once, it runs
// one full reconcile and returns its error.
func (l *Loop) Run(ctx context.Context, once bool) error {
	l.request("start", true, true)
	defer l.resign()
	if once {
		return l.step(ctx, l.take())
	}
	if ch, ok := l.cfg.Source.(Changer); ok {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case _, ok := <-ch.Changed():
					if !ok {
						return
					}
					l.request("file", true, false)
				}
			}
		}()
	}
	go l.timers(ctx)
	for {
		select {
		case <-ctx.Done():
			l.stopWatching()
			return nil
		case <-l.kick:
		}
		w := l.take()
		if w.empty() {
			continue
		}
		if err := l.step(ctx, w); err != nil && ctx.Err() == nil {
			l.cfg.Log.Warn("reconcile failed", slog.Any("err", err))
		}
		l.wake()
	}
}

func (l *Loop) take() work {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.todo
	l.todo = work{}
	return w
}

// wake has the timers look again at when they fire.
func (l *Loop) wake() {
	select {
	case l.rearm <- struct{}{}:
	default:
	}
}

// timers fires the periodic triggers: the poll, the full resync, the stock
// resync, the next promotion boundary and the end of a channel's backoff.
func (l *Loop) timers(ctx context.Context) {
	clock := l.cfg.Clock
	poll := clock.NewTimer(l.cfg.Poll)
	resync := clock.NewTimer(l.cfg.Resync)
	stockT := clock.NewTimer(l.cfg.StockResync)
	var boundary, retry Timer
	var boundaryAt, retryAt time.Time
	stop := func(t Timer) {
		if t != nil {
			t.Stop()
		}
	}
	defer func() { stop(poll); stop(resync); stop(stockT); stop(boundary); stop(retry) }()
	arm := func() {
		l.mu.Lock()
		next := l.nextBoundary
		var soonest time.Time
		for _, cs := range l.channels {
			if !cs.retryAt.IsZero() && (soonest.IsZero() || cs.retryAt.Before(soonest)) {
				soonest = cs.retryAt
			}
		}
		l.mu.Unlock()
		if !next.Equal(boundaryAt) {
			stop(boundary)
			boundary, boundaryAt = nil, next
			if !next.IsZero() {
				boundary = clock.NewTimer(max(next.Sub(clock.Now()), 0))
			}
		}
		if !soonest.Equal(retryAt) {
			stop(retry)
			retry, retryAt = nil, soonest
			if !soonest.IsZero() {
				retry = clock.NewTimer(max(soonest.Sub(clock.Now()), 0))
			}
		}
	}
	c := func(t Timer) <-chan time.Time {
		if t == nil {
			return nil
		}
		return t.C()
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.rearm:
			arm()
		case <-poll.C():
			poll = clock.NewTimer(l.cfg.Poll)
			l.request("poll", true, false)
		case <-resync.C():
			resync = clock.NewTimer(l.cfg.Resync)
			l.request("resync", true, true)
		case <-stockT.C():
			stockT = clock.NewTimer(l.cfg.StockResync)
			l.stockMoved(ctx)
		case at := <-c(boundary):
			boundary, boundaryAt = nil, time.Time{}
			l.promotionBoundary(at)
		case <-c(retry):
			retry, retryAt = nil, time.Time{}
			l.request("retry", false, true)
		}
	}
}

// promotionBoundary asks for the SKUs whose price may change at a
// promotion's start or end.
func (l *Loop) promotionBoundary(at time.Time) {
	l.mu.Lock()
	cur := l.inForce()
	l.nextBoundary = time.Time{}
	l.mu.Unlock()
	if cur == nil {
		return
	}
	skus := derive.BoundarySKUs(cur.spec, l.cfg.Clock.Now())
	l.cfg.Log.Info("promotion boundary", slog.Time("at", at), slog.Int("skus", len(skus)))
	if len(skus) == 0 {
		l.wake()
		return
	}
	l.request("promotion", false, false, skus...)
}

// stockMoved reads the stock and asks for the SKUs whose on-hand moved
// since the last reading.
func (l *Loop) stockMoved(ctx context.Context) {
	l.mu.Lock()
	cur := l.inForce()
	before := l.levels
	l.mu.Unlock()
	if cur == nil {
		return
	}
	levels, err := l.cfg.Controller.Stock(ctx, cur.spec)
	if err != nil {
		l.cfg.Log.Warn("stock resync: the stock could not be read", slog.Any("err", err))
		return
	}
	moved := movedSKUs(before, levels)
	l.mu.Lock()
	l.levels = levels
	l.mu.Unlock()
	if before == nil || len(moved) == 0 {
		return
	}
	l.cfg.Log.Debug("stock moved", slog.Int("skus", len(moved)))
	l.request("stock", false, false, moved...)
}

// movedSKUs lists the SKUs whose on-hand differs between two readings.
func movedSKUs(before, after stock.Levels) []string {
	set := map[string]bool{}
	for src, skus := range after {
		for sku, n := range skus {
			if m, ok := before[src][sku]; !ok || m != n {
				set[sku] = true
			}
		}
	}
	for src, skus := range before {
		for sku := range skus {
			if _, ok := after[src][sku]; !ok {
				set[sku] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// inForce is the revision the loop applies: the approved one in
// drift-only mode, else the newest good one. l.mu is held.
func (l *Loop) inForce() *loaded {
	if l.cfg.Mode == ApplyDriftOnly {
		return l.approved
	}
	return l.current
}

// step is one reconcile of the work asked for.
func (l *Loop) step(ctx context.Context, w work) error {
	l.mu.Lock()
	l.seq++
	id := l.seq
	l.mu.Unlock()
	clock := l.cfg.Clock
	started := clock.Now()
	trigger := w.trigger()
	log := l.cfg.Log.With(slog.Int64("reconcile", id))
	if w.sync || l.current == nil {
		changed, moved, err := l.syncSource(ctx, log)
		if err != nil {
			l.finish(id, trigger, started, "failed", err, nil)
			return err
		}
		switch {
		case changed && moved == nil:
			w.full = true
		case changed:
			w.add("commit", false, false, moved...)
			trigger = w.trigger()
		}
	}
	l.mu.Lock()
	cur := l.current
	l.mu.Unlock()
	if cur == nil {
		err := errors.New("no spec revision has validated yet")
		l.finish(id, trigger, started, "refused", err, nil)
		return err
	}
	log = log.With(slog.String("revision", plan.ShortRevision(cur.revision)))
	if cur.rev.Commit != "" {
		log = log.With(slog.String("commit", shortSHA(cur.rev.Commit)))
	}
	if l.cfg.Mode != ApplyNone {
		took, err := l.lead(ctx, log)
		var held *store.LeaseHeldError
		if errors.As(err, &held) {
			l.mu.Lock()
			l.standby = fmt.Sprintf("standing by: %s holds the state's lease until %s", held.Lease.Owner, held.Lease.Expires.Format(time.RFC3339))
			l.mu.Unlock()
			log.Debug("standing by", slog.String("holder", held.Lease.Owner))
			l.finish(id, trigger, started, "standby", nil, nil)
			return nil
		}
		if err != nil {
			l.finish(id, trigger, started, "failed", err, nil)
			return err
		}
		if took {
			w.full = true // the other leader may have left anything
		}
	}
	if !w.full && len(w.skus) == 0 {
		l.finish(id, trigger, started, "ok", nil, nil)
		return nil
	}
	o := l.cfg.Reconcile
	o.At, o.SKUs, o.Channels, o.Log = clock.Now(), nil, l.healthyChannels(cur.spec, started), log
	if !w.full {
		o.SKUs = slices.Sorted(maps.Keys(w.skus))
	}
	var res *controller.Result
	var err error
	switch l.cfg.Mode {
	case ApplyNone:
		o.Mode, o.RecordExceptions = controller.Plan, true
		res, err = l.cfg.Controller.Reconcile(ctx, cur.spec, o)
	case ApplyDriftOnly:
		res, err = l.driftOnly(ctx, log, cur, o, w.full)
	default:
		o.Mode = controller.Apply
		res, err = l.cfg.Controller.Reconcile(ctx, cur.spec, o)
	}
	l.afterReconcile(ctx, log, cur, res, o, started)
	result := "ok"
	if err != nil {
		result = "failed"
		var chErr *controller.ChannelsError
		if errors.As(err, &chErr) {
			result = "partial"
		}
	}
	l.finish(id, trigger, started, result, err, res)
	if err != nil {
		log.Warn("reconcile ended with an error", slog.String("trigger", trigger), slog.Any("err", err))
	}
	return err
}

// lead makes this daemon the one that applies, if it is not already:
// it takes the state's lease and keeps it. took reports that it has just
// taken it; a lease another holds is a *store.LeaseHeldError.
func (l *Loop) lead(ctx context.Context, log *slog.Logger) (took bool, err error) {
	l.mu.Lock()
	lost := l.lost
	l.mu.Unlock()
	if lost != nil {
		select {
		case <-lost:
			log.Warn("the state's lease was lost: standing by")
			l.resign()
		default:
			return false, nil
		}
	}
	release, lost, err := l.cfg.Controller.Lead(ctx)
	if err != nil {
		return false, err
	}
	l.mu.Lock()
	l.release, l.lost, l.standby = release, lost, ""
	l.mu.Unlock()
	log.Info("leading: this daemon holds the state's lease and applies")
	return true, nil
}

// resign gives the lease up, if held.
func (l *Loop) resign() {
	l.mu.Lock()
	release := l.release
	l.release, l.lost = nil, nil
	l.mu.Unlock()
	if release != nil {
		release()
	}
}

// driftOnly heals drift and stock moves under the approved revision and
// plans the newest one (at full reconciles): its changes wait as the
// pending plan.
func (l *Loop) driftOnly(ctx context.Context, log *slog.Logger, cur *loaded, o controller.Options, full bool) (*controller.Result, error) {
	approved, err := l.cfg.Store.Approved(ctx, cur.revision)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if approved {
		l.approved, l.pending = cur, nil
	}
	inForce := l.approved
	l.mu.Unlock()
	var res *controller.Result
	if inForce != nil {
		o.Mode = controller.Apply
		res, err = l.cfg.Controller.Reconcile(ctx, inForce.spec, o)
	}
	if inForce == cur {
		return res, err
	}
	l.mu.Lock()
	fresh := l.pending != nil && l.pending.Revision == cur.revision
	l.mu.Unlock()
	if fresh && !full {
		// The pending plan is planned again at full reconciles (a new
		// revision, a resync), not for every sale or stock move.
		return res, err
	}
	po := o
	po.Mode, po.SKUs, po.RecordExceptions = controller.Plan, nil, false
	next, perr := l.cfg.Controller.Reconcile(ctx, cur.spec, po)
	if next == nil || next.Plan == nil {
		return res, errors.Join(err, perr)
	}
	l.mu.Lock()
	was := l.pending
	l.pending = next.Plan
	l.mu.Unlock()
	if !next.Plan.Empty() && (was == nil || was.Revision != next.Plan.Revision) {
		log.Info("a new revision waits for approval", slog.Int("changes", len(next.Plan.Changes)))
		l.notify(Notice{Kind: "plan_pending", Severity: "warning", Commit: cur.rev.Commit,
			Title: fmt.Sprintf("Revision %s waits for approval: %d changes", plan.ShortRevision(cur.revision), len(next.Plan.Changes)),
			Text:  fmt.Sprintf("accord approve %s, or POST /api/plan/approve", cur.revision)})
	}
	if res == nil {
		res = next
	}
	return res, errors.Join(err, perr)
}

// Approve approves a revision for the daemon to apply (drift-only mode):
// it must be the pending plan's.
func (l *Loop) Approve(ctx context.Context, revision, by string) error {
	l.mu.Lock()
	cur := l.current
	l.mu.Unlock()
	if cur == nil || cur.revision != revision {
		have := "none"
		if cur != nil {
			have = cur.revision
		}
		return fmt.Errorf("revision %s is not the newest (it is %s)", revision, have)
	}
	if err := l.cfg.Store.Approve(ctx, revision, by); err != nil {
		return err
	}
	l.request("approve", false, true)
	return nil
}

// syncSource syncs the source and, when it moved, loads the new revision:
// a good one becomes current, a bad one is refused. changed reports a new
// good revision; moved, when not nil, is all it changes (the SKUs whose
// desired listings differ from the last revision's), and nil asks for a
// full reconcile.
func (l *Loop) syncSource(ctx context.Context, log *slog.Logger) (changed bool, moved []string, err error) {
	rev, changed, err := l.cfg.Source.Sync(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("sync the spec's source: %w", err)
	}
	l.mu.Lock()
	have := l.current != nil
	l.mu.Unlock()
	if !changed && have {
		return false, nil, nil
	}
	s, sources, diags := l.cfg.Load(ctx, rev.Dir)
	if diags.HasErrors() {
		l.refuse(ctx, log, rev, sources, diags)
		return false, nil, nil
	}
	ld := &loaded{rev: rev, revision: controller.Revision(s), spec: s, catalog: catalogSKUs(s)}
	l.mu.Lock()
	prev := l.current
	l.current = ld
	l.refused = nil
	if l.cfg.Mode != ApplyDriftOnly {
		l.nextBoundary = firstBoundary(s, l.cfg.Clock.Now())
	}
	l.mu.Unlock()
	if prev != nil && prev.revision == ld.revision {
		return false, nil, nil
	}
	log.Info("spec revision", slog.String("revision", ld.revision), slog.String("commit", rev.Commit), slog.String("author", rev.Author),
		slog.String("message", firstLine(rev.Message)))
	if rev.Commit != "" {
		if err := l.cfg.Store.RecordCommit(ctx, store.Commit{SHA: rev.Commit, Revision: ld.revision, Author: rev.Author, Message: rev.Message, Committed: rev.When}); err != nil {
			return true, nil, err
		}
	}
	// A good revision settles the refusals of earlier commits.
	if _, _, err := l.cfg.Store.SyncExceptions(ctx, ld.revision, store.Scope{Channels: []string{SpecChannel}}, nil, nil); err != nil {
		return true, nil, err
	}
	if l.cfg.Metrics != nil {
		metrics.SetAll(l.cfg.Metrics.SpecRevision, []metrics.Count{{Labels: []string{ld.revision, rev.Commit}, Value: 1}})
	}
	l.watch(ctx, ld)
	if prev == nil || l.cfg.Mode == ApplyDriftOnly {
		return true, nil, nil
	}
	// What the new revision changes, and nothing else, is reconciled.
	// When that cannot be told, a full reconcile follows (and reports
	// what went wrong, if anything still does).
	levels, err := l.cfg.Controller.Stock(ctx, s)
	if err != nil {
		log.Debug("comparing revisions: the stock could not be read", slog.Any("err", err))
		return true, nil, nil
	}
	start := l.cfg.Clock.Now()
	moved, ok, err := movedByRevision(ctx, prev.spec, s, levels, start)
	if err != nil {
		log.Debug("comparing revisions failed", slog.Any("err", err))
		return true, nil, nil
	}
	if !ok {
		return true, nil, nil
	}
	log.Info("the new revision moves these listings alone", slog.Int("skus", len(moved)), slog.Duration("compared_in", l.cfg.Clock.Now().Sub(start)))
	return true, moved, nil
}

// SpecChannel is the channel of exceptions about the spec itself (a commit
// that does not validate).
const SpecChannel = "spec"

// CodeSpecInvalid is a commit whose spec does not validate.
const CodeSpecInvalid = "spec_invalid"

// refuse records a revision that does not validate: an exception naming
// the commit with its diagnostics, and a notice. The last good revision
// stays in force.
func (l *Loop) refuse(ctx context.Context, log *slog.Logger, rev Revision, sources map[string][]byte, diags hcl.Diagnostics) {
	text := diagnosticsText(diags, sources)
	what := rev.Commit
	if what == "" {
		what = rev.Dir
	}
	refused := &Refused{Commit: rev.Commit, Diagnostics: text, At: l.cfg.Clock.Now()}
	l.mu.Lock()
	already := l.refused != nil && l.refused.Commit == rev.Commit && l.refused.Diagnostics == text
	keep := "nothing is applied until a revision validates"
	if l.current != nil {
		keep = "revision " + plan.ShortRevision(l.current.revision) + " stays in force"
	}
	if already {
		l.refused = refused
	}
	l.mu.Unlock()
	if already {
		return
	}
	n := len(diags.Errs())
	msg := fmt.Sprintf("%s does not validate (%d %s); %s:\n%s", describeRev(rev), n, plural(n, "error", "errors"), keep, text)
	log.Warn("spec refused", slog.String("commit", rev.Commit), slog.Int("errors", n), slog.String("diagnostics", text))
	err := l.cfg.Store.AddExceptions(ctx, "", []store.Exception{{Code: CodeSpecInvalid, Channel: SpecChannel, Action: "report",
		Observed: adapters.Text(what), Message: msg}})
	if err != nil {
		log.Warn("recording the refused commit failed", slog.Any("err", err))
	}
	// The status shows the refusal once its exception is in the store, so
	// whoever reads one finds the other.
	l.mu.Lock()
	l.refused = refused
	l.mu.Unlock()
	l.notify(Notice{Kind: "commit_refused", Severity: "error", Commit: rev.Commit,
		Title: fmt.Sprintf("%s refused: the spec does not validate", describeRev(rev)), Text: msg})
}

func describeRev(rev Revision) string {
	if rev.Commit == "" {
		return "the spec in " + rev.Dir
	}
	s := "commit " + shortSHA(rev.Commit)
	if rev.Author != "" {
		s += " by " + rev.Author
	}
	if m := firstLine(rev.Message); m != "" {
		s += fmt.Sprintf(" (%q)", m)
	}
	return s
}

// diagnosticsText renders diagnostics as validate does, without colour.
// Files over a megabyte (a catalog) give no snippet: HCL's writer reads a
// file from its start to find one.
func diagnosticsText(diags hcl.Diagnostics, sources map[string][]byte) string {
	files := make(map[string]*hcl.File, len(sources))
	for name, data := range sources {
		if len(data) <= 1<<20 {
			files[name] = &hcl.File{Bytes: data}
		}
	}
	var b strings.Builder
	wr := hcl.NewDiagnosticTextWriter(&b, files, 100, false)
	if err := wr.WriteDiagnostics(diags); err != nil {
		return diags.Error()
	}
	return strings.TrimSpace(b.String())
}

// afterReconcile records what a reconcile found: the channels' health, the
// metrics, the exceptions opened, the next promotion boundary.
func (l *Loop) afterReconcile(ctx context.Context, log *slog.Logger, cur *loaded, res *controller.Result, o controller.Options, started time.Time) {
	now := l.cfg.Clock.Now()
	failed := map[string]string{}
	observed := map[string]bool{}
	if res != nil && res.Plan != nil {
		p := res.Plan
		for _, ch := range p.Channels {
			observed[ch] = p.Observed(ch)
		}
		for _, e := range p.ChannelErrors {
			failed[e.Channel] = fmt.Sprintf("%s: %s", e.Reason, e.Message)
		}
	}
	if res != nil && res.Report != nil {
		perChannel := map[string]int{}
		for _, f := range res.Report.Failed {
			if f.Kind != apply.KindRejected && f.Kind != apply.KindHeld {
				perChannel[f.Change.Channel]++
				if _, ok := failed[f.Change.Channel]; !ok {
					failed[f.Change.Channel] = fmt.Sprintf("%s: %s", f.Kind, f.Reason)
				}
			}
			if l.cfg.Metrics != nil {
				kind := f.Kind
				if kind == apply.KindNotSent {
					kind = "not_sent"
				}
				l.cfg.Metrics.ApplyErrors.WithLabelValues(f.Change.Channel, kind).Inc()
			}
		}
		if len(res.Report.Failed) > res.Report.Held() {
			l.notify(Notice{Kind: "apply_failed", Severity: "error", Commit: cur.rev.Commit,
				Title: "Apply " + res.Report.Summary(), Text: failureText(res.Report)})
		}
		if l.cfg.Metrics != nil {
			l.countApplied(res)
		}
	}
	l.mu.Lock()
	for name, msg := range failed {
		cs := l.channel(name)
		cs.failures++
		cs.lastErr = msg
		wait := l.cfg.ChannelBackoff << min(cs.failures-1, 16)
		cs.retryAt = now.Add(min(wait, l.cfg.MaxChannelBackoff))
		log.Info("channel backs off", slog.String("channel", name), slog.Int("failures", cs.failures), slog.Time("until", cs.retryAt), slog.String("why", msg))
	}
	for name, ok := range observed {
		cs := l.channel(name)
		if ok {
			cs.lastObserve = started
		}
		if _, bad := failed[name]; !bad && ok {
			cs.failures, cs.retryAt, cs.lastErr = 0, time.Time{}, ""
		}
	}
	if l.cfg.Mode == ApplyDriftOnly && l.approved != nil {
		l.nextBoundary = firstBoundary(l.approved.spec, now)
	} else if l.current != nil {
		l.nextBoundary = firstBoundary(l.current.spec, now)
	}
	pending := l.pending
	if res != nil && res.Plan != nil && (o.SKUs == nil || !l.ready) {
		l.ready = l.ready || len(failed) == 0
	}
	l.mu.Unlock()
	l.countPending(pending)
	l.exceptionsOpened(ctx, log, cur)
	if l.cfg.Metrics != nil {
		if over, err := l.cfg.Controller.Oversells(ctx, cur.spec); err != nil {
			log.Debug("counting oversells", slog.Any("err", err))
		} else {
			var cs []metrics.Count
			for ch, n := range over {
				cs = append(cs, metrics.Count{Labels: []string{ch}, Value: float64(n)})
			}
			metrics.SetAll(l.cfg.Metrics.Oversells, cs)
		}
	}
	if l.cfg.Metrics != nil && res != nil {
		counts := map[[2]string]int{}
		for _, f := range res.Findings {
			counts[[2]string{f.Code, f.Channel}]++
		}
		var cs []metrics.Count
		for k, n := range counts {
			cs = append(cs, metrics.Count{Labels: []string{k[0], k[1]}, Value: float64(n)})
		}
		if o.SKUs == nil {
			metrics.SetAll(l.cfg.Metrics.Findings, cs)
		}
	}
}

func (l *Loop) channel(name string) *channelState {
	cs := l.channels[name]
	if cs == nil {
		cs = &channelState{}
		l.channels[name] = cs
	}
	return cs
}

// countApplied adds the changes that landed to the metrics, by channel
// and kind.
func (l *Loop) countApplied(res *controller.Result) {
	failed := map[store.FieldKey]bool{}
	for _, f := range res.Report.Failed {
		failed[store.FieldKey{Channel: f.Change.Channel, SKU: f.Change.SKU, Field: f.Change.Name()}] = true
	}
	for i := range res.Plan.Changes {
		c := &res.Plan.Changes[i]
		if !failed[store.FieldKey{Channel: c.Channel, SKU: c.SKU, Field: c.Name()}] {
			l.cfg.Metrics.ChangesApplied.WithLabelValues(c.Channel, c.Kind.String()).Inc()
		}
	}
}

func (l *Loop) countPending(p *plan.Plan) {
	if l.cfg.Metrics == nil {
		return
	}
	var cs []metrics.Count
	if p != nil {
		by := map[string]int{}
		for i := range p.Changes {
			by[p.Changes[i].Channel]++
		}
		for ch, n := range by {
			cs = append(cs, metrics.Count{Labels: []string{ch}, Value: float64(n)})
		}
	}
	metrics.SetAll(l.cfg.Metrics.PendingChanges, cs)
}

// exceptionsOpened notices the exceptions opened since the last look and
// sets the open-exceptions gauge.
func (l *Loop) exceptionsOpened(ctx context.Context, log *slog.Logger, cur *loaded) {
	open, err := l.cfg.Store.Exceptions(ctx, store.ExceptionFilter{})
	if err != nil {
		log.Warn("reading the exceptions failed", slog.Any("err", err))
		return
	}
	l.mu.Lock()
	first := l.open == nil
	seen := make(map[int64]bool, len(open))
	var fresh []store.Exception
	for _, e := range open {
		seen[e.ID] = true
		if !first && !l.open[e.ID] {
			fresh = append(fresh, e)
		}
	}
	l.open = seen
	l.mu.Unlock()
	for i, e := range fresh {
		if i == 20 {
			l.notify(Notice{Kind: "exception_opened", Severity: "warning", Commit: cur.rev.Commit,
				Title: fmt.Sprintf("and %d more exceptions opened", len(fresh)-20), Text: "accord exceptions lists them"})
			break
		}
		l.notify(Notice{Kind: "exception_opened", Severity: severityOf(e.Code), Commit: cur.rev.Commit, Channel: e.Channel, SKU: e.SKU,
			Title: fmt.Sprintf("%s on %s", e.Code, strings.TrimSpace(e.Channel+" "+e.SKU+" "+e.Field)), Text: e.Message,
			Fields: map[string]string{"code": e.Code, "id": fmt.Sprint(e.ID)}})
	}
	if l.cfg.Metrics != nil {
		counts := map[[2]string]int{}
		for _, e := range open {
			counts[[2]string{e.Code, e.Channel}]++
		}
		var cs []metrics.Count
		for k, n := range counts {
			cs = append(cs, metrics.Count{Labels: []string{k[0], k[1]}, Value: float64(n)})
		}
		metrics.SetAll(l.cfg.Metrics.ExceptionsOpen, cs)
	}
}

// severityOf is how urgent an exception of a code is.
func severityOf(code string) string {
	switch code {
	case plan.CodeOversellRisk, plan.CodeMAPViolation, plan.CodeApplyFailed, CodeSpecInvalid:
		return "error"
	}
	return "warning"
}

func failureText(r *apply.Report) string {
	var b strings.Builder
	for i, f := range r.Failed {
		if i == 10 {
			fmt.Fprintf(&b, "... and %d more (accord exceptions lists them as apply_failed)\n", len(r.Failed)-10)
			break
		}
		fmt.Fprintf(&b, "%s %s %s: %s: %s\n", f.Change.Channel, f.Change.SKU, f.Change.Name(), f.Kind, f.Reason)
	}
	return strings.TrimSpace(b.String())
}

// healthyChannels is the spec's channels but those backing off, nil when
// none is.
func (l *Loop) healthyChannels(s *spec.Spec, now time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	skipped := false
	for _, ch := range s.Channels {
		if cs := l.channels[ch.Name]; cs != nil && now.Before(cs.retryAt) {
			skipped = true
			continue
		}
		out = append(out, ch.Name)
	}
	if !skipped {
		return nil
	}
	return out
}

// finish records a reconcile's end.
func (l *Loop) finish(id int64, trigger string, started time.Time, result string, err error, res *controller.Result) {
	now := l.cfg.Clock.Now()
	st := &ReconcileStatus{ID: id, Trigger: trigger, Started: started, Took: now.Sub(started), Result: result}
	if err != nil {
		st.Error = err.Error()
	}
	if res != nil {
		st.Revision = res.Revision
		if res.Report != nil {
			st.Summary = res.Report.Summary()
		} else if res.Plan != nil {
			st.Summary = fmt.Sprintf("%d changes planned", len(res.Plan.Changes))
		}
	}
	l.mu.Lock()
	l.last = st
	if result == "ok" {
		l.lastGood = now
	}
	l.mu.Unlock()
	if l.cfg.Metrics != nil {
		l.cfg.Metrics.ObserveReconcile(trigger, result, st.Took, now)
	}
	l.cfg.Log.Info("reconciled", slog.Int64("reconcile", id), slog.String("trigger", trigger), slog.String("result", result),
		slog.Duration("took", st.Took), slog.String("summary", st.Summary))
}

func (l *Loop) notify(n Notice) {
	if l.cfg.Notify != nil {
		l.cfg.Notify(n)
	}
}

// firstBoundary is the next promotion start or end after now, zero when
// there is none.
func firstBoundary(s *spec.Spec, now time.Time) time.Time {
	if b := derive.Boundaries(s, now); len(b) > 0 {
		return b[0]
	}
	return time.Time{}
}

// catalogSKUs maps, for each channel that knows products by a SKU of its
// own, that SKU to the catalog's.
func catalogSKUs(s *spec.Spec) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, ch := range s.Channels {
		if ch.SKUColumn == "" {
			continue
		}
		m := map[string]string{}
		for _, p := range s.Products {
			if cs, ok := ch.ChannelSKU(p); ok {
				m[cs] = p.SKU
			}
		}
		out[ch.Name] = m
	}
	return out
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ReconcileStatus is how a reconcile went.
type ReconcileStatus struct {
	ID       int64         `json:"id"`
	Trigger  string        `json:"trigger"`
	Started  time.Time     `json:"started"`
	Took     time.Duration `json:"-"`
	Result   string        `json:"result"`
	Error    string        `json:"error,omitempty"`
	Revision string        `json:"revision,omitempty"`
	Summary  string        `json:"summary,omitempty"`
}

// ChannelStatus is a channel's health.
type ChannelStatus struct {
	Name        string    `json:"name"`
	Status      string    `json:"status"` // ok, backing_off
	LastObserve time.Time `json:"last_observe,omitzero"`
	RetryAt     time.Time `json:"retry_at,omitzero"`
	Failures    int       `json:"failures,omitempty"`
	Error       string    `json:"error,omitempty"`
	Pending     int       `json:"pending_changes"`
}

// Status is what the daemon is doing, for /api/status.
type Status struct {
	Mode     Mode             `json:"mode"`
	Ready    bool             `json:"ready"`
	Revision string           `json:"revision,omitempty"`
	Commit   string           `json:"commit,omitempty"`
	Author   string           `json:"author,omitempty"`
	Message  string           `json:"message,omitempty"`
	InForce  string           `json:"in_force,omitempty"`
	Standby  string           `json:"standby,omitempty"`
	Last     *ReconcileStatus `json:"last_reconcile,omitempty"`
	LastGood time.Time        `json:"last_good_reconcile,omitzero"`
	Refused  *Refused         `json:"refused,omitempty"`
	Pending  *PendingStatus   `json:"pending_plan,omitempty"`
	Channels []ChannelStatus  `json:"channels"`
	// NextBoundary is the next promotion start or end the loop waits for.
	NextBoundary time.Time `json:"next_promotion_boundary,omitzero"`
}

// PendingStatus names the plan waiting for approval.
type PendingStatus struct {
	Revision string `json:"revision"`
	Changes  int    `json:"changes"`
}

// Status reports what the loop is doing.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Status{Mode: l.cfg.Mode, Ready: l.ready, Standby: l.standby, LastGood: l.lastGood, Refused: l.refused, NextBoundary: l.nextBoundary}
	if l.last != nil {
		last := *l.last
		st.Last = &last
	}
	if l.current != nil {
		st.Revision, st.Commit, st.Author, st.Message = l.current.revision, l.current.rev.Commit, l.current.rev.Author, firstLine(l.current.rev.Message)
	}
	if f := l.inForce(); f != nil {
		st.InForce = f.revision
	}
	pendingBy := map[string]int{}
	if l.pending != nil && !l.pending.Empty() {
		st.Pending = &PendingStatus{Revision: l.pending.Revision, Changes: len(l.pending.Changes)}
		for i := range l.pending.Changes {
			pendingBy[l.pending.Changes[i].Channel]++
		}
	}
	var names []string
	if l.current != nil {
		for _, ch := range l.current.spec.Channels {
			names = append(names, ch.Name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		cs := l.channels[n]
		c := ChannelStatus{Name: n, Status: "ok", Pending: pendingBy[n]}
		if cs != nil {
			c.LastObserve, c.Failures, c.Error = cs.lastObserve, cs.failures, cs.lastErr
			if !cs.retryAt.IsZero() {
				c.Status, c.RetryAt = "backing_off", cs.retryAt
			}
		}
		st.Channels = append(st.Channels, c)
	}
	return st
}

// Pending is the plan waiting for approval, nil when none is.
func (l *Loop) Pending() *plan.Plan {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil || l.pending.Empty() {
		return nil
	}
	return l.pending
}

// Spec is the revision in force and its spec, nil before one validated.
func (l *Loop) Spec() *spec.Spec {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.inForce(); f != nil {
		return f.spec
	}
	return nil
}
