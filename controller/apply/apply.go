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
// it is sent, of the channel's submission ID when it queued the batch, and
// of which of its changes landed after.
type Journal interface {
	JournalBatch(ctx context.Context, runID int64, channel string, changes []store.JournalChange) (int64, error)
	SubmitBatch(ctx context.Context, batchID int64, submission string) error
	CompleteBatch(ctx context.Context, batchID int64, landed []bool) error
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
}

// Options configure an apply.
type Options struct {
	Spec    *spec.Spec
	Targets map[string]Target
	Journal Journal
	RunID   int64
	// Refresh observes the given catalog SKUs of a channel again and
	// derives their quantity anew, after an order landed between observe
	// and apply.
	Refresh func(ctx context.Context, channel string, skus []string) (map[string]Refreshed, error)
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
}

// Failure is a change that did not apply.
type Failure struct {
	Change plan.Change
	// Kind is "throttled" (past retries), "rejected" (refused for good),
	// "failed" (errors past retries), "cancelled" (never sent) or
	// "submitted" (queued by the channel, its outcome not yet known: the
	// next apply asks the channel, it never sends it again).
	Kind   string
	Reason string
}

// Report is what an apply did.
type Report struct {
	Total   int
	Applied int
	// Unneeded counts changes found already in place when the channel was
	// observed again (an order moved the quantity to what was wanted).
	Unneeded int
	Failed   []Failure
}

// Summary is the one line an apply ends with.
func (r *Report) Summary() string {
	done := r.Applied + r.Unneeded
	line := fmt.Sprintf("applied %d of %d", done, r.Total)
	if r.Unneeded > 0 {
		line += fmt.Sprintf(" (%d already in place)", r.Unneeded)
	}
	if len(r.Failed) == 0 {
		return line
	}
	kinds := map[string]int{}
	reasons := map[string]int{}
	for _, f := range r.Failed {
		kinds[f.Kind]++
		if f.Kind == "rejected" {
			reasons[f.Reason]++
		}
	}
	var parts []string
	for _, k := range []string{"throttled", "failed", "rejected", "submitted", "cancelled"} {
		n := kinds[k]
		if n == 0 {
			continue
		}
		switch k {
		case "throttled":
			parts = append(parts, fmt.Sprintf("%d throttled past retries", n))
		case "failed":
			parts = append(parts, fmt.Sprintf("%d failed past retries", n))
		case "cancelled":
			parts = append(parts, fmt.Sprintf("%d cancelled", n))
		case "submitted":
			parts = append(parts, fmt.Sprintf("%d submitted and still processing", n))
		case "rejected":
			rs := make([]string, 0, len(reasons))
			for reason, c := range reasons {
				rs = append(rs, fmt.Sprintf("%s (%d)", reason, c))
			}
			sort.Strings(rs)
			parts = append(parts, fmt.Sprintf("%d rejected: %s", n, strings.Join(rs, "; ")))
		}
	}
	return fmt.Sprintf("%s; %d failed: %s", line, len(r.Failed), strings.Join(parts, ", "))
}

// Apply pushes the plan's changes to the targets and reports what
// happened. It returns an error only when it could not go on at all (the
// journal failed, the context ended); failed changes are in the report.
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
	workers := map[string]*worker{}
	for name, t := range o.Targets {
		w := &worker{o: &o, name: name, t: t, lim: t.Channel.Limits(), scale: 2}
		if ch, _, ok := o.Spec.Channel(name); ok {
			w.scale = ch.Scale
		}
		workers[name] = w
	}
	phases := Order(o.Spec, p)
	for n, ph := range phases {
		var channels []string
		for c := range ph.Changes {
			channels = append(channels, c)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(channels))
		for _, lane := range lanes(o.Spec, channels) {
			wg.Add(1)
			go func(lane []string) {
				defer wg.Done()
				for i, c := range lane {
					w := workers[c]
					if w == nil {
						errs <- fmt.Errorf("apply: channel %s was not opened", c)
						return
					}
					if err := w.run(ctx, ph.Changes[c]); err != nil {
						for _, later := range lane[i+1:] {
							if lw := workers[later]; lw != nil {
								lw.cancel(ph.Changes[later], err)
							}
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
	collect(rep, workers)
	return rep, nil
}

func collect(rep *Report, workers map[string]*worker) {
	rep.Applied, rep.Unneeded, rep.Failed = 0, 0, nil
	names := make([]string, 0, len(workers))
	for n := range workers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w := workers[n]
		rep.Applied += w.applied
		rep.Unneeded += w.unneeded
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
	// toldThrottled is when the log last said the channel is throttled:
	// once a minute at most.
	toldThrottled time.Time

	applied, unneeded int
	failed            []Failure
}

// item is a change on its way, with the attempts it has had.
type item struct {
	c        plan.Change
	attempts int
	lastErr  error
}

func (w *worker) run(ctx context.Context, changes []plan.Change) error {
	if _, creates := w.t.Channel.(adapters.Creator); !creates {
		kept := changes[:0:0]
		for _, c := range changes {
			if c.Kind == adapters.KindCreate {
				w.fail([]*item{{c: c}}, "rejected", &adapters.RejectedError{Reason: "the channel cannot create listings; add the SKU on the channel"})
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
		w.fail([]*item{{c: c}}, "cancelled", err)
	}
}

// batch sends items until each has landed, failed for good or run out of
// attempts.
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
			w.fail(items, "cancelled", err)
			return err
		}
		retry, wait, err := w.send(ctx, items)
		if err != nil {
			return err
		}
		var again []*item
		for _, it := range retry {
			if it.attempts >= w.o.MaxAttempts {
				kind := "failed"
				var te *adapters.ThrottledError
				if errors.As(it.lastErr, &te) {
					kind = "throttled"
				}
				w.fail([]*item{it}, kind, it.lastErr)
				continue
			}
			again = append(again, it)
		}
		items = again
		if len(items) == 0 {
			return nil
		}
		onlyConflicts := true
		for _, it := range items {
			var conf *adapters.ConflictError
			if !errors.As(it.lastErr, &conf) {
				onlyConflicts = false
			}
		}
		if onlyConflicts {
			// Observed again and recomputed: nothing to wait for.
			continue
		}
		d := bo.NextBackOff()
		if wait > d {
			d = wait
		}
		w.waiting(items, d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			w.fail(items, "cancelled", ctx.Err())
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// send journals and sends one request, and sorts its answers: landed
// changes are recorded, conflicts observed again, and what should be tried
// again returned with the longest Retry-After asked for.
func (w *worker) send(ctx context.Context, items []*item) ([]*item, time.Duration, error) {
	changes := make([]adapters.Change, len(items))
	journal := make([]store.JournalChange, 0, len(items))
	owner := make([]int, 0, len(items)) // journal entry -> item
	for i, it := range items {
		it.attempts++
		c := &it.c
		chSKU := w.t.ChannelSKU(c.SKU)
		changes[i] = adapters.Change{Key: adapters.Key{Channel: c.Channel, SKU: chSKU}, Kind: c.Kind, Field: c.Field, From: c.From, To: c.To, Ref: c.Ref}
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
		return nil, 0, fmt.Errorf("apply %s: journal: %w", w.name, err)
	}
	results := w.t.Channel.Apply(ctx, changes)
	if len(results) != len(changes) {
		results = allFailed(len(changes), &adapters.BadResponseError{Message: fmt.Sprintf("channel answered %d results for %d changes", len(results), len(changes))})
	}
	if sub := submission(results); sub != "" {
		// Recorded before anything else: from here the batch is settled by
		// asking for this submission's outcome, by this apply or, should it
		// stop, by the next one; it is never sent again.
		if err := w.o.Journal.SubmitBatch(ctx, id, sub); err != nil {
			return nil, 0, fmt.Errorf("apply %s: journal: %w", w.name, err)
		}
		var err error
		if results, err = w.confirm(ctx, sub, changes, results); err != nil {
			w.fail(items, "submitted", fmt.Errorf("submitted as %s; the next apply asks the channel for its outcome (%w)", sub, err))
			return nil, 0, err
		}
	}
	landedItem := make([]bool, len(items))
	var retry []*item
	var conflicts []*item
	var wait time.Duration
	for i, r := range results {
		it := items[i]
		var te *adapters.ThrottledError
		var tmp *adapters.TemporaryError
		var rej *adapters.RejectedError
		var conf *adapters.ConflictError
		switch {
		case r.Err == nil:
			landedItem[i] = true
			w.applied++
			w.advance()
		case errors.As(r.Err, &conf):
			conflicts = append(conflicts, it)
		case errors.As(r.Err, &te):
			it.lastErr = r.Err
			retry = append(retry, it)
			wait = max(wait, te.RetryAfter)
		case errors.As(r.Err, &tmp):
			it.lastErr = r.Err
			retry = append(retry, it)
		case errors.As(r.Err, &rej):
			w.fail([]*item{it}, "rejected", rej)
		case ctx.Err() != nil:
			it.lastErr = r.Err
			retry = append(retry, it)
		default:
			it.lastErr = r.Err
			retry = append(retry, it)
		}
	}
	landed := make([]bool, len(journal))
	for j, i := range owner {
		landed[j] = landedItem[i]
	}
	// A cancelled context still records what landed: the journal must not
	// be left "sent" for changes whose fate is known.
	if err := w.o.Journal.CompleteBatch(context.WithoutCancel(ctx), id, landed); err != nil {
		return nil, 0, fmt.Errorf("apply %s: journal: %w", w.name, err)
	}
	if err := ctx.Err(); err != nil {
		w.fail(retry, "cancelled", err)
		w.fail(conflicts, "cancelled", err)
		return nil, 0, err
	}
	if len(conflicts) > 0 {
		more, err := w.resolve(ctx, conflicts)
		if err != nil {
			return nil, 0, err
		}
		retry = append(retry, more...)
	}
	return retry, wait, nil
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
// again and their quantity derived anew; a change that turns out to have
// landed (a timed-out request that went through) is recorded, one no
// longer needed is dropped, and the rest are retried from the new
// quantity.
func (w *worker) resolve(ctx context.Context, conflicts []*item) ([]*item, error) {
	if w.o.Refresh == nil {
		w.fail(conflicts, "failed", errors.New("the quantity moved on the channel and cannot be observed again"))
		return nil, nil
	}
	skus := make([]string, len(conflicts))
	for i, it := range conflicts {
		skus[i] = it.c.SKU
	}
	fresh, err := w.o.Refresh(ctx, w.name, skus)
	if err != nil {
		for _, it := range conflicts {
			it.lastErr = fmt.Errorf("observe again after a conflict: %w", err)
		}
		return conflicts, nil
	}
	var retry []*item
	var landed []store.JournalChange
	for _, it := range conflicts {
		f, ok := fresh[it.c.SKU]
		switch {
		case !ok:
			w.fail([]*item{it}, "rejected", errors.New("the listing is gone from the channel"))
		case f.Observed == it.c.To:
			landed = append(landed, journalChanges(&it.c, w.scale)...)
			w.applied++
			w.advance()
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
	if len(landed) > 0 {
		// Found in place by observation: journaled and completed at once,
		// so the audit log holds the change exactly once.
		id, err := w.o.Journal.JournalBatch(ctx, w.o.RunID, w.name, landed)
		if err == nil {
			all := make([]bool, len(landed))
			for i := range all {
				all[i] = true
			}
			err = w.o.Journal.CompleteBatch(ctx, id, all)
		}
		if err != nil {
			return nil, fmt.Errorf("apply %s: journal: %w", w.name, err)
		}
	}
	return retry, nil
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
