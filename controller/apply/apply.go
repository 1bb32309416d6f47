package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

// Journal is what apply needs of the store: a record of each batch before
// it is sent, of the channel's submission ID when it queued the batch, of
// what became of each of its changes after (landed, not, or unknown), and
// of what an observe found of those whose outcome was unknown.
type Journal interface {
	JournalBatch(ctx context.Context, runID int64, channel string, changes []store.JournalChange) (int64, error)
	SubmitBatch(ctx context.Context, batchID int64, submission string) error
	RecordOutcomes(ctx context.Context, batchID int64, outcomes []store.Outcome) error
	RecoverBatch(ctx context.Context, batchID int64, landed []bool) error
}

// Target is one channel to apply to.
type Target struct {
	Channel adapters.Channel
	// ChannelSKU maps a catalog SKU to the channel's own.
	ChannelSKU func(sku string) string
}

// Refreshed is a listing's quantity observed again after a compare-and-set
// conflict, and the quantity the spec asks for now.
type Refreshed struct {
	Observed adapters.Value
	Desired  adapters.Value
	// Ref is the adapter's reference to the listing, as observed.
	Ref adapters.Ref
}

// Options configure an apply.
type Options struct {
	Spec    *spec.Spec
	Targets map[string]Target
	Journal Journal
	RunID   int64
	// Refresh observes the given catalog SKUs of a channel again and
	// derives their quantity anew, after an order landed between observe
	// and apply. Listings missing from the channel are missing from the
	// result.
	Refresh func(ctx context.Context, channel string, skus []string) (map[string]Refreshed, error)
	// Observe reads the given catalog SKUs of a channel, to settle changes
	// whose outcome is unknown (a request timed out): a listing missing
	// from the channel is missing from the result. Without it such changes
	// are never sent again; they fail as "unknown" and the next apply
	// observes them first.
	Observe func(ctx context.Context, channel string, skus []string) (map[string]*adapters.Listing, error)
	// Siblings are the channels that share an inventory pool with the
	// given one: when an order is found to have moved a quantity on a
	// channel, their quantities of that SKU are derived again before they
	// are sent, and corrected if sent already. Nil: none.
	Siblings func(channel string) []string
	// MaxAttempts is how many times a change is sent before it fails
	// (default 8); InitialBackoff and MaxBackoff bound the wait between
	// attempts (defaults 500ms and 30s).
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Progress is told of every change settled; it may be nil.
	Progress func(settled int)
	// Waiting is told when a channel's changes wait before they are sent
	// again, and why ("throttled", "failed"); it may be nil.
	Waiting func(channel string, wait time.Duration, why string)
	Log     *slog.Logger
	// Revisions counts the revisions sent to the listings of channels
	// that allow only so many a day (adapters.RevisionLimited); nil sends
	// without counting.
	Revisions Revisions
	// Now is the clock that says which day it is on such a channel;
	// nil: time.Now.
	Now func() time.Time
}

func (o *Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// The kinds of Failure.
const (
	// KindThrottled is a change refused for the rate limit past retries.
	KindThrottled = "throttled"
	// KindFailed is a change that failed past retries, or whose outcome
	// the journal could not record.
	KindFailed = "failed"
	// KindRejected is a change the channel refused for good.
	KindRejected = "rejected"
	// KindSubmitted is a change the channel queued and is still
	// processing: the next apply asks the channel, it never sends it
	// again.
	KindSubmitted = "submitted"
	// KindUnknown is a change whose outcome nobody knows (a timeout, an
	// interrupted request) and that could not be observed since: it stays
	// unknown in the journal, and the next apply observes the listing
	// before anything is sent for it.
	KindUnknown = "unknown"
	// KindNotSent is a change never sent because the apply stopped.
	KindNotSent = "cancelled"
)

// Failure is a change that did not apply.
type Failure struct {
	Change plan.Change
	// Kind is one of the Kind constants.
	Kind   string
	Reason string
}

// Report is what an apply did. Every change ends in exactly one of
// Applied, Unneeded and Failed: Total is their sum.
type Report struct {
	Total   int
	Applied int
	// Unneeded counts changes found already in place when the channel was
	// observed again (an order moved the quantity to what was wanted).
	Unneeded int
	Failed   []Failure
	// Rederived counts quantities derived again within the apply because
	// an order moved the stock they were derived from; Corrections are
	// the changes (counted in Total) sent for listings whose quantity had
	// been sent already, or not planned at all, before the order was seen.
	Rederived, Corrections int
}

// Summary is the one line an apply ends with.
func (r *Report) Summary() string {
	done := r.Applied + r.Unneeded
	line := fmt.Sprintf("applied %d of %d", done, r.Total)
	var notes []string
	if r.Unneeded > 0 {
		notes = append(notes, fmt.Sprintf("%d already in place", r.Unneeded))
	}
	if r.Rederived > 0 || r.Corrections > 0 {
		notes = append(notes, fmt.Sprintf("%d re-derived and %d corrected after orders during the apply", r.Rederived, r.Corrections))
	}
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, "; ") + ")"
	}
	held := r.Held()
	if held > 0 {
		line += fmt.Sprintf("; %d held for the channel's daily revision limit", held)
	}
	if len(r.Failed) == held {
		return line
	}
	kinds := map[string]int{}
	reasons := map[string]int{}
	for _, f := range r.Failed {
		kinds[f.Kind]++
		if f.Kind == KindRejected {
			reasons[f.Reason]++
		}
	}
	var parts []string
	for _, k := range []string{KindThrottled, KindFailed, KindRejected, KindUnknown, KindSubmitted, KindNotSent} {
		n := kinds[k]
		if n == 0 {
			continue
		}
		switch k {
		case KindThrottled:
			parts = append(parts, fmt.Sprintf("%d throttled past retries", n))
		case KindFailed:
			parts = append(parts, fmt.Sprintf("%d failed past retries", n))
		case KindNotSent:
			parts = append(parts, fmt.Sprintf("%d not sent", n))
		case KindUnknown:
			parts = append(parts, fmt.Sprintf("%d with an unknown outcome, observed first by the next apply", n))
		case KindSubmitted:
			parts = append(parts, fmt.Sprintf("%d submitted and still processing", n))
		case KindRejected:
			rs := make([]string, 0, len(reasons))
			for reason, c := range reasons {
				rs = append(rs, fmt.Sprintf("%s (%d)", reason, c))
			}
			sort.Strings(rs)
			parts = append(parts, fmt.Sprintf("%d rejected: %s", n, strings.Join(rs, "; ")))
		}
	}
	return fmt.Sprintf("%s; %d failed: %s", line, len(r.Failed)-held, strings.Join(parts, ", "))
}

// Held is how many changes were held for a channel's daily revision limit
// (KindHeld): they are exceptions, not failures of the apply.
func (r *Report) Held() int {
	n := 0
	for _, f := range r.Failed {
		if f.Kind == KindHeld {
			n++
		}
	}
	return n
}

// Apply pushes the plan's changes to the targets and reports what
// happened. It returns an error only when it could not go on at all (the
// journal failed, the context ended); failed changes are in the report,
// and every change is in it exactly once, whatever stopped the apply.
func Apply(ctx context.Context, p *plan.Plan, o Options) (*Report, error) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{Total: len(p.Changes)}
	mv := &moves{}
	workers := map[string]*worker{}
	for name, t := range o.Targets {
		w := &worker{o: &o, name: name, t: t, lim: t.Channel.Limits(), scale: 2, moves: mv}
		if ch, _, ok := o.Spec.Channel(name); ok {
			w.scale = ch.Scale
		}
		if rl, ok := t.Channel.(adapters.RevisionLimited); ok {
			if perDay, zone := rl.RevisionLimit(); perDay > 0 {
				if zone == nil {
					zone = time.UTC
				}
				w.revs = &revisionGate{perDay: perDay, zone: zone}
			}
		}
		workers[name] = w
	}
	// A change for a channel that was not opened is never sent.
	unopened := errors.New("the channel was not opened")
	phases := Order(o.Spec, p)
	for n, ph := range phases {
		var channels []string
		for c, cs := range ph.Changes {
			if workers[c] == nil {
				lost := &worker{o: &o, name: c}
				lost.cancel(cs, fmt.Errorf("apply %s: %w", c, unopened))
				rep.Failed = append(rep.Failed, lost.failed...)
				continue
			}
			channels = append(channels, c)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(channels))
		for _, lane := range lanes(o.Spec, channels) {
			wg.Add(1)
			go func(lane []string) {
				defer wg.Done()
				for i, c := range lane {
					if err := workers[c].run(ctx, ph.Changes[c]); err != nil {
						for _, later := range lane[i+1:] {
							workers[later].cancel(ph.Changes[later], err)
						}
						errs <- err
						return
					}
				}
			}(lane)
		}
		wg.Wait()
		close(errs)
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		if len(all) > 0 {
			err := errors.Join(all...)
			for _, later := range phases[n+1:] {
				for c, cs := range later.Changes {
					if w := workers[c]; w != nil {
						w.cancel(cs, err)
					}
				}
			}
			collect(rep, workers)
			return rep, err
		}
	}
	err := correct(ctx, &o, workers, mv)
	collect(rep, workers)
	return rep, err
}

func collect(rep *Report, workers map[string]*worker) {
	rep.Applied, rep.Unneeded, rep.Rederived, rep.Corrections = 0, 0, 0, 0
	names := make([]string, 0, len(workers))
	for n := range workers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w := workers[n]
		rep.Applied += w.applied
		rep.Unneeded += w.unneeded
		rep.Rederived += w.rederived
		rep.Corrections += w.corrections
		rep.Total += w.corrections
		rep.Failed = append(rep.Failed, w.failed...)
	}
}

// worker applies one channel's changes. Pacing is the adapter's, through
// its account's budget; the worker retries.
type worker struct {
	o     *Options
	name  string
	t     Target
	lim   adapters.Limits
	scale int32
	moves *moves
	// toldThrottled is when the log last said the channel is throttled:
	// once a minute at most.
	toldThrottled time.Time

	applied, unneeded      int
	rederived, corrections int
	failed                 []Failure
	// revs is the channel's daily revision limit, nil when it has none.
	revs *revisionGate
	// sentQty is, for each catalog SKU whose quantity landed in this apply
	// after it was derived again (see moves), the value sent and the stock
	// generation it was derived at.
	sentQty map[string]sentQuantity
}

type sentQuantity struct {
	to  adapters.Value
	gen int
}

// item is a change on its way, with the attempts it has had.
type item struct {
	c        plan.Change
	attempts int
	lastErr  error
	// unknown is the journal batch that holds this change's entries with
	// an unknown outcome, after an attempt timed out: the change is not
	// sent again before an observe settles them.
	unknown *unknownBatch
	// gen is the stock generation the change's quantity was derived at
	// (see moves).
	gen int
	// rev is the revision the attempt in flight was counted as, on a
	// channel that limits a listing's revisions a day.
	rev *spentRevision
}

func (w *worker) run(ctx context.Context, changes []plan.Change) error {
	if _, creates := w.t.Channel.(adapters.Creator); !creates {
		kept := changes[:0:0]
		for _, c := range changes {
			if c.Kind == adapters.KindCreate {
				w.fail([]*item{{c: c}}, KindRejected, &adapters.RejectedError{Reason: "the channel cannot create listings; add the SKU on the channel"})
				continue
			}
			kept = append(kept, c)
		}
		changes = kept
	}
	size := max(w.lim.BatchSize, 1)
	for start := 0; start < len(changes); start += size {
		batch := make([]*item, 0, size)
		for _, c := range changes[start:min(start+size, len(changes))] {
			batch = append(batch, &item{c: c})
		}
		if err := w.batch(ctx, batch); err != nil {
			w.cancel(changes[min(start+size, len(changes)):], err)
			return err
		}
	}
	return nil
}

// cancel reports changes that were never sent because the apply stopped.
func (w *worker) cancel(changes []plan.Change, err error) {
	for _, c := range changes {
		w.fail([]*item{{c: c}}, KindNotSent, err)
	}
}

// stop reports items the apply stopped before it settled them: never sent
// again, or, when their last attempt's outcome is unknown, unknown.
func (w *worker) stop(items []*item, err error) {
	for _, it := range items {
		if it.unknown != nil {
			w.fail([]*item{it}, KindUnknown, err)
		} else {
			w.fail([]*item{it}, KindNotSent, err)
		}
	}
}

// batch sends items until each has landed, failed for good or run out of
// attempts. A change whose last attempt's outcome is unknown is observed
// before it is sent again. On an error every item has been settled.
func (w *worker) batch(ctx context.Context, items []*item) error {
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     w.o.InitialBackoff,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         w.o.MaxBackoff,
	}
	bo.Reset()
	for len(items) > 0 {
		if err := ctx.Err(); err != nil {
			w.stop(items, err)
			return err
		}
		var err error
		if items, err = w.rederive(ctx, items); err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		retry, wait, err := w.send(ctx, items)
		if err != nil {
			return err
		}
		if len(retry) == 0 {
			return nil
		}
		uncertain := false
		onlyConflicts := true
		var more []*item // to send again, if attempts are left
		for _, it := range retry {
			var conf *adapters.ConflictError
			if !errors.As(it.lastErr, &conf) {
				onlyConflicts = false
			}
			switch {
			case it.unknown != nil:
				uncertain = true
				more = append(more, it)
			case it.attempts >= w.o.MaxAttempts:
				w.fail([]*item{it}, failKind(it.lastErr), it.lastErr)
			default:
				more = append(more, it)
			}
		}
		if len(more) == 0 {
			return nil
		}
		if !onlyConflicts {
			// Observed again and recomputed, conflicts need no wait; a
			// timeout is given the time of a retry to land before the
			// listing is observed.
			d := bo.NextBackOff()
			if wait > d {
				d = wait
			}
			w.waiting(more, d)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				w.stop(more, ctx.Err())
				return ctx.Err()
			case <-t.C:
			}
		}
		if uncertain {
			if more, err = w.settle(ctx, more); err != nil {
				return err
			}
		}
		items = items[:0]
		for _, it := range more {
			if it.attempts >= w.o.MaxAttempts {
				w.fail([]*item{it}, failKind(it.lastErr), it.lastErr)
				continue
			}
			items = append(items, it)
		}
	}
	return nil
}

// failKind is the kind of failure of a change whose attempts ran out.
func failKind(err error) string {
	var te *adapters.ThrottledError
	if errors.As(err, &te) {
		return KindThrottled
	}
	return KindFailed
}

// send journals and sends one request, and sorts its answers: landed
// changes are recorded, conflicts observed again, changes whose outcome is
// unknown recorded so, and what should be tried again returned with the
// longest Retry-After asked for. On an error every item has been settled
// (applied, failed or not sent) in the report.
func (w *worker) send(ctx context.Context, items []*item) ([]*item, time.Duration, error) {
	items, err := w.gate(ctx, items)
	if err != nil || len(items) == 0 {
		return nil, 0, err
	}
	changes := make([]adapters.Change, len(items))
	journal := make([]store.JournalChange, 0, len(items))
	owner := make([]int, 0, len(items)) // journal entry -> item
	for i, it := range items {
		c := &it.c
		chSKU := w.t.ChannelSKU(c.SKU)
		changes[i] = adapters.Change{Key: adapters.Key{Channel: c.Channel, SKU: chSKU}, Kind: c.Kind, Field: c.Field, From: c.From, To: c.To, Ref: c.Ref, Sale: c.Sale}
		if c.Listing != nil {
			l := *c.Listing
			l.SKU = chSKU
			changes[i].Listing = &l
		}
		for _, jc := range journalChanges(c, w.scale) {
			jc.Item = i
			journal = append(journal, jc)
			owner = append(owner, i)
		}
	}
	id, err := w.o.Journal.JournalBatch(ctx, w.o.RunID, w.name, journal)
	if err != nil {
		err = fmt.Errorf("apply %s: journal: %w", w.name, err)
		// Nothing of this batch went out.
		w.stop(items, err)
		return nil, 0, err
	}
	for _, it := range items {
		it.attempts++
		it.unknown = nil // a new attempt: its outcome is this batch's
	}
	// The account's budget serves the most urgent batch first: a quantity
	// cut before other quantities, prices, then listing content.
	results := w.t.Channel.Apply(adapters.WithPriority(ctx, adapters.PriorityOfChanges(changes)), changes)
	if len(results) != len(changes) {
		results = allFailed(len(changes), &adapters.BadResponseError{Message: fmt.Sprintf("channel answered %d results for %d changes", len(results), len(changes))})
	}
	if sub := submission(results); sub != "" {
		// Recorded before anything else: from here the batch is settled by
		// asking for this submission's outcome, by this apply or, should it
		// stop, by the next one; it is never sent again.
		if err := w.o.Journal.SubmitBatch(ctx, id, sub); err != nil {
			err = fmt.Errorf("apply %s: journal: %w", w.name, err)
			w.fail(items, KindSubmitted, fmt.Errorf("submitted as %s, which the journal could not record; the next apply observes the listings first (%w)", sub, err))
			return nil, 0, err
		}
		var err error
		if results, err = w.confirm(ctx, sub, changes, results); err != nil {
			w.fail(items, KindSubmitted, fmt.Errorf("submitted as %s; the next apply asks the channel for its outcome (%w)", sub, err))
			return nil, 0, err
		}
	}
	outcome := make([]store.Outcome, len(items))
	var retry, conflicts, landedItems []*item
	var wait time.Duration
	for i, r := range results {
		it := items[i]
		var te *adapters.ThrottledError
		var tmp *adapters.TemporaryError
		var rej *adapters.RejectedError
		var conf *adapters.ConflictError
		switch {
		case r.Err == nil:
			outcome[i] = store.Landed
			landedItems = append(landedItems, it)
		case errors.As(r.Err, &conf):
			conflicts = append(conflicts, it)
		case errors.As(r.Err, &te):
			it.lastErr = r.Err
			retry = append(retry, it)
			wait = max(wait, te.RetryAfter)
			if it.attempts >= w.o.MaxAttempts {
				// A refusal for the rate says the change did not land,
				// but a change that ends throttled is observed before it
				// is called failed, as one that timed out: a channel
				// may have taken part of a bulk request it then refused.
				outcome[i] = store.Unknown
			}
		case errors.As(r.Err, &tmp) && !tmp.Timeout:
			it.lastErr = r.Err
			retry = append(retry, it)
		case errors.As(r.Err, &rej):
			w.fail([]*item{it}, KindRejected, rej)
		default:
			// A timeout, a request cut short, an error nobody classified:
			// the channel may have taken the change.
			outcome[i] = store.Unknown
			it.lastErr = r.Err
			retry = append(retry, it)
		}
	}
	w.refund(ctx, items, outcome)
	entries := make([]store.Outcome, len(journal))
	for j, i := range owner {
		entries[j] = outcome[i]
	}
	// A cancelled context still records what landed: the journal must not
	// be left "sent" for changes whose fate is known.
	if err := w.o.Journal.RecordOutcomes(context.WithoutCancel(ctx), id, entries); err != nil {
		err = fmt.Errorf("apply %s: journal: %w", w.name, err)
		// The batch stays "sent" in the journal: the next apply observes
		// its listings. This one counts what it heard.
		for _, it := range landedItems {
			w.landed(it)
		}
		w.fail(append(retry, conflicts...), KindFailed, fmt.Errorf("the channel answered, and the journal could not record it; the next apply observes the listing first (%w)", err))
		return nil, 0, err
	}
	for _, it := range landedItems {
		w.landed(it)
	}
	var unknown *unknownBatch
	for j, o := range entries {
		if o != store.Unknown {
			continue
		}
		if unknown == nil {
			unknown = &unknownBatch{id: id}
		}
		it := items[owner[j]]
		it.unknown = unknown
		unknown.entries = append(unknown.entries, journal[j])
		unknown.owner = append(unknown.owner, it)
	}
	if err := ctx.Err(); err != nil {
		w.stop(retry, err)
		w.stop(conflicts, err)
		return nil, 0, err
	}
	if len(conflicts) > 0 {
		retry = append(retry, w.resolve(ctx, conflicts)...)
	}
	return retry, wait, nil
}

// landed counts a change that landed.
func (w *worker) landed(it *item) {
	w.applied++
	// Only quantities derived after an order moved their stock are kept:
	// a handful, where an apply may send 600k quantities.
	if it.gen > 0 && (it.c.Kind == adapters.KindQuantity || (it.c.Kind == adapters.KindCreate && it.c.Listing != nil)) {
		to := it.c.To
		if it.c.Kind == adapters.KindCreate {
			to = adapters.QuantityValue(it.c.Listing.Quantity)
		}
		if w.sentQty == nil {
			w.sentQty = map[string]sentQuantity{}
		}
		w.sentQty[it.c.SKU] = sentQuantity{to: to, gen: it.gen}
	}
	w.advance()
}

// waiting says that items wait d before they are sent again: on the log
// (a throttled channel at info, once a minute at most; anything else at
// debug) and to Options.Waiting. Durations are written as people read them.
func (w *worker) waiting(items []*item, d time.Duration) {
	why := "failed"
	for _, it := range items {
		var te *adapters.ThrottledError
		if errors.As(it.lastErr, &te) {
			why = "throttled"
			break
		}
	}
	attrs := []any{slog.String("channel", w.name), slog.Int("changes", len(items)), slog.String("wait", d.Round(time.Millisecond).String())}
	if why == "throttled" && time.Since(w.toldThrottled) >= time.Minute {
		w.toldThrottled = time.Now()
		w.o.Log.Info("channel throttled; waiting before sending again", attrs...)
	} else {
		w.o.Log.Debug("retrying", append(attrs, slog.String("why", why))...)
	}
	if w.o.Waiting != nil {
		w.o.Waiting(w.name, d, why)
	}
}

// allFailed is n results all failing with err.
func allFailed(n int, err error) []adapters.Result {
	results := make([]adapters.Result, n)
	for i := range results {
		results[i].Err = err
	}
	return results
}

// submission is the submission ID a batch's results carry, "" for none.
func submission(results []adapters.Result) string {
	for _, r := range results {
		if r.Submission != "" {
			return r.Submission
		}
	}
	return ""
}

// confirm asks the channel for the outcome of a submission until every
// change of it has one, waiting with backoff between asks. The changes
// answered at once (not part of the submission) keep their results.
func (w *worker) confirm(ctx context.Context, sub string, changes []adapters.Change, results []adapters.Result) ([]adapters.Result, error) {
	conf, ok := w.t.Channel.(adapters.Confirmer)
	if !ok {
		return nil, &adapters.BadResponseError{Message: fmt.Sprintf("the channel queued a batch as %s but cannot be asked for its outcome", sub)}
	}
	var idx []int
	var queued []adapters.Change
	for i, r := range results {
		if r.Submission == sub {
			idx = append(idx, i)
			queued = append(queued, changes[i])
		}
	}
	bo := &backoff.ExponentialBackOff{InitialInterval: w.o.InitialBackoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: w.o.MaxBackoff}
	bo.Reset()
	for {
		got, err := conf.Confirm(ctx, sub, queued)
		if err == nil && len(got) != len(queued) {
			err = &adapters.BadResponseError{Message: fmt.Sprintf("the outcome of %s has %d results for %d changes", sub, len(got), len(queued))}
		}
		if err != nil {
			var tmp *adapters.TemporaryError
			var te *adapters.ThrottledError
			if !errors.As(err, &tmp) && !errors.As(err, &te) {
				return nil, err
			}
		} else if submission(got) == "" {
			out := append([]adapters.Result(nil), results...)
			for k, i := range idx {
				out[i] = got[k]
			}
			return out, nil
		}
		t := time.NewTimer(bo.NextBackOff())
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// resolve handles compare-and-set conflicts: the listings are observed
// again and their quantity derived anew; one no longer needed is dropped,
// and the rest are retried from the new quantity. An order moved the
// stock: the pool's other channels derive that SKU again too (see moves).
func (w *worker) resolve(ctx context.Context, conflicts []*item) []*item {
	if w.o.Refresh == nil {
		w.fail(conflicts, KindFailed, errors.New("the quantity moved on the channel and cannot be observed again"))
		return nil
	}
	skus := make([]string, len(conflicts))
	for i, it := range conflicts {
		skus[i] = it.c.SKU
	}
	gen := w.moves.bump(w.name, skus)
	fresh, err := w.o.Refresh(ctx, w.name, skus)
	if err != nil {
		for _, it := range conflicts {
			it.lastErr = fmt.Errorf("observe again after a conflict: %w", err)
		}
		return conflicts
	}
	var retry []*item
	for _, it := range conflicts {
		f, ok := fresh[it.c.SKU]
		it.gen = gen[it.c.SKU]
		switch {
		case !ok:
			w.fail([]*item{it}, KindRejected, errors.New("the listing is gone from the channel"))
		case f.Observed == f.Desired:
			w.unneeded++
			w.advance()
		default:
			w.o.Log.Info("quantity moved on the channel; recomputed", slog.String("channel", w.name), slog.String("sku", it.c.SKU),
				slog.String("planned_from", it.c.From.Text), slog.String("observed", f.Observed.Text), slog.String("to", f.Desired.Text))
			it.c.From, it.c.To = f.Observed, f.Desired
			it.lastErr = &adapters.ConflictError{Current: f.Observed}
			retry = append(retry, it)
		}
	}
	return retry
}

func (w *worker) fail(items []*item, kind string, err error) {
	for _, it := range items {
		reason := "unknown error"
		if err != nil {
			reason = err.Error()
		}
		var rej *adapters.RejectedError
		if errors.As(err, &rej) {
			reason = rej.Reason
		}
		w.failed = append(w.failed, Failure{Change: it.c, Kind: kind, Reason: reason})
		w.advance()
	}
}

// advance reports one more change settled, landed or failed.
func (w *worker) advance() {
	if w.o.Progress != nil {
		w.o.Progress(1)
	}
}

// journalChanges is how a change is journaled and audited: a created
// listing as each of its fields set from nothing, so that the last
// applied value of every field is known.
func journalChanges(c *plan.Change, scale int32) []store.JournalChange {
	if c.Kind != adapters.KindCreate || c.Listing == nil {
		return []store.JournalChange{{Channel: c.Channel, SKU: c.SKU, Field: c.Name(), From: c.From, To: c.To, Reason: c.Reason, Ref: c.Ref}}
	}
	return ListingFields(c, scale)
}

// ListingFields returns a creation's fields as changes from null, with the
// money at the channel's places as the listing carries them.
func ListingFields(c *plan.Change, scale int32) []store.JournalChange {
	l := c.Listing
	var out []store.JournalChange
	add := func(field string, v adapters.Value) {
		if v.Set {
			out = append(out, store.JournalChange{Channel: c.Channel, SKU: c.SKU, Field: field, To: v, Reason: c.Reason, Create: true})
		}
	}
	add(adapters.FieldQuantity, adapters.QuantityValue(l.Quantity))
	add(adapters.FieldPrice, adapters.Money(l.Price, scale))
	add(adapters.FieldCompareAt, adapters.Money(l.CompareAt, scale))
	for _, f := range l.Fields {
		add(f.Name, adapters.Text(f.Value))
	}
	return out
}
