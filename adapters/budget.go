package adapters

import (
	"container/heap"
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a sustained rate of calls (or cost points) per second and how
// many may go at once. A zero Limit with Burst 0 means no limit.
type Rate struct {
	Limit rate.Limit
	Burst int
}

// Unlimited is no limit at all.
var Unlimited = Rate{Limit: rate.Inf}

// Budget paces the calls to one channel account: reads and writes draw on
// separate buckets, because channels limit them separately (Amazon per
// operation, Shopify one cost bucket that reads fill too, but a full read
// must not starve the writes that stop an oversell). An adapter tunes it as
// it learns (Learn, Pause); every connection to the account shares it.
type Budget struct {
	Read, Write *Bucket

	now func() time.Time
	mu  sync.Mutex
	ops map[string]*Bucket
}

// Op returns the bucket of one operation, for channels that limit each
// operation apart (the SP-API's getListingsItem, patchListingsItem and
// createFeed each have their own rate and burst): made with r the first
// time, shared by every caller after. An adapter waits on it as well as on
// Read or Write.
func (b *Budget) Op(name string, r Rate) *Bucket {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bk, ok := b.ops[name]; ok {
		return bk
	}
	if b.ops == nil {
		b.ops = map[string]*Bucket{}
	}
	bk := NewBucket(r, b.now)
	b.ops[name] = bk
	return bk
}

// Buckets returns the account's buckets by name, for metrics: "read",
// "write", and each operation's under its name (see Op; an operation must
// not be named "read" or "write").
func (b *Budget) Buckets() map[string]*Bucket {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]*Bucket, len(b.ops)+2)
	for name, bk := range b.ops {
		out[name] = bk
	}
	if b.Read != nil {
		out["read"] = b.Read
	}
	if b.Write != nil {
		out["write"] = b.Write
	}
	return out
}

// How a bucket shrinks under sustained throttling and recovers (additive
// increase, multiplicative decrease). A channel that throttles while
// accord paces to the rate it advertises is telling it that someone else
// spends the same account (another app, the seller's other tools), or that
// the advertised rate is not the one enforced; a Retry-After alone only
// stops the calls for a moment, after which they come back as fast.
const (
	// throttlesToShrink throttles (Pause calls) within throttleWindow
	// halve the bucket's rate; the count starts again after each halving.
	throttlesToShrink = 3
	throttleWindow    = time.Minute
	// floorFraction is the least of its ceiling a bucket shrinks to.
	floorFraction = 0.1
	// Every recoverEvery without a throttle gives back a tenth
	// (1/recoverSteps) of what the last halving left lost, up to the
	// ceiling: from the floor, five minutes of calm.
	recoverEvery = 30 * time.Second
	recoverSteps = 10
)

// never is a wait with no end in sight (a rate of zero): only Learn, or
// the caller's context, ends it.
const never = time.Duration(math.MaxInt64)

// Bucket is a token bucket that an adapter tunes from what the channel says:
// a rate-limit header, a cost bucket's remaining points and restore rate, a
// Retry-After. It is safe for concurrent use.
//
// Callers that must wait are served by priority (see Priority; read from
// each caller's context), and in the order they came within one priority:
// a caller never takes a token while a more urgent one waits on the same
// bucket. Only the first in line watches the clock; the rest sleep until
// it is served or gives up. The tokens themselves are
// golang.org/x/time/rate's.
//
// Sustained throttling shrinks the bucket: throttlesToShrink calls of Pause
// within throttleWindow halve its rate, never below floorFraction of its
// ceiling, the rate it was given or last learned. Each recoverEvery
// without a throttle gives back a tenth of what the last halving left
// lost, until the ceiling. A bucket without a rate (Unlimited) has nothing
// to shrink: it only pauses. The recovery is worked out from the clock
// whenever the bucket is used; nothing runs in the background.
type Bucket struct {
	now func() time.Time
	// timer starts a timer of d, which is the instant at on the bucket's
	// clock: real time uses d, a test's clock at.
	timer func(d time.Duration, at time.Time) (<-chan time.Time, func() bool)

	mu     sync.Mutex
	lim    *rate.Limiter
	paused time.Time // no call before this instant

	queue tickets // callers waiting, most urgent first
	seq   uint64  // the next ticket's place in line

	// ceiling is the rate given or learned; the limiter runs at frac of
	// it (1 unless shrunk).
	ceiling rate.Limit
	frac    float64
	// base is frac at the last throttle, when recovery starts again, and
	// quiet that instant; step is what each recoverEvery gives back.
	base, step float64
	quiet      time.Time
	// recent are the throttles within throttleWindow since the last
	// halving.
	recent []time.Time

	requests, throttles uint64
}

// ticket is one caller waiting for its turn.
type ticket struct {
	prio  Priority
	seq   uint64
	n     int           // tokens still to take
	wake  chan struct{} // told to look again: first in line now, or the rate changed
	index int           // in the queue
}

// NewBucket returns a bucket of the given rate. now is the clock (nil:
// time.Now).
func NewBucket(r Rate, now func() time.Time) *Bucket {
	if now == nil {
		now = time.Now
	}
	if r.Limit == 0 && r.Burst == 0 {
		r = Unlimited
	}
	return &Bucket{
		now:     now,
		timer:   realTimer,
		lim:     rate.NewLimiter(r.Limit, max(r.Burst, 1)),
		ceiling: r.Limit,
		frac:    1,
	}
}

func realTimer(d time.Duration, _ time.Time) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// Wait blocks until n tokens (calls, or cost points) are available and no
// pause is in force, or ctx ends. n larger than the burst waits for the
// whole burst and then for the rest to accrue; a more urgent caller may go
// between the parts, and a caller that gives up between them does not get
// back the parts it took. Callers are served in the order of the priority
// their ctx carries (PriorityOf).
func (b *Bucket) Wait(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	now := b.now()
	if b.frac < 1 {
		b.regain(now)
	}
	if len(b.queue) == 0 && !now.Before(b.paused) && b.take(now, &n) == 0 {
		b.requests++
		b.mu.Unlock()
		return nil
	}
	t := &ticket{prio: PriorityOf(ctx), seq: b.seq, n: n, wake: make(chan struct{}, 1)}
	b.seq++
	heap.Push(&b.queue, t)
	for {
		var d time.Duration
		if b.queue[0] == t {
			now = b.now()
			b.regain(now)
			if now.Before(b.paused) {
				d = b.paused.Sub(now)
			} else if d = b.take(now, &t.n); d == 0 {
				heap.Pop(&b.queue)
				b.requests++
				b.wakeFirst()
				b.mu.Unlock()
				return nil
			}
		}
		var at time.Time
		if d > 0 && d != never {
			at = now.Add(d)
		}
		b.mu.Unlock()
		var fire <-chan time.Time // nil: no timer, only a wake or ctx
		stop := func() bool { return false }
		if !at.IsZero() {
			fire, stop = b.timer(d, at)
		}
		select {
		case <-t.wake:
		case <-fire:
		case <-ctx.Done():
			stop()
			b.mu.Lock()
			first := b.queue[0] == t
			heap.Remove(&b.queue, t.index)
			if first {
				b.wakeFirst()
			}
			b.mu.Unlock()
			return ctx.Err()
		}
		stop()
		b.mu.Lock()
	}
}

// take takes the tokens of *n that the limiter has at now, a burst at a
// time, and returns how long until it has the next part: 0 when all are
// taken. b.mu is held.
func (b *Bucket) take(now time.Time, n *int) time.Duration {
	for *n > 0 {
		limit := b.lim.Limit()
		step := *n
		if limit != rate.Inf {
			step = min(step, max(b.lim.Burst(), 1))
		}
		if b.lim.AllowN(now, step) {
			*n -= step
			continue
		}
		if limit <= 0 {
			return never
		}
		short := float64(step) - b.lim.TokensAt(now)
		ns := math.Ceil(short / float64(limit) * float64(time.Second))
		if ns >= float64(never) {
			return never
		}
		return max(time.Duration(ns), 1)
	}
	return 0
}

// wakeFirst tells the first in line to look again. b.mu is held.
func (b *Bucket) wakeFirst() {
	if len(b.queue) == 0 {
		return
	}
	select {
	case b.queue[0].wake <- struct{}{}:
	default: // told already
	}
}

// Learn sets the rate the channel says applies (x-amzn-RateLimit-Limit, a
// restore rate). A zero Burst keeps the current one. The learned rate is
// the new ceiling: a bucket shrunk by throttling stays at its fraction of
// it and recovers towards it (an adapter learns from every answer, and
// that must not undo a shrink the throttling asked for).
func (b *Bucket) Learn(r Rate) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	b.regain(t)
	b.ceiling = r.Limit
	b.setLimit(t)
	if r.Burst > 0 {
		b.lim.SetBurstAt(t, r.Burst)
	}
	b.wakeFirst()
}

// Hold holds every caller of the bucket for d without counting a
// throttle: the channel said its window is used up and when it opens
// again, before refusing anything.
func (b *Bucket) Hold(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.paused) {
		b.paused = until
	}
}

// Pause holds every caller of the bucket for d (a Retry-After, a throttled
// answer): one throttled call slows the whole account, not just itself.
// Each Pause counts as a throttle (see Bucket for how throttles shrink the
// rate).
func (b *Bucket) Pause(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.throttles++
	if until := now.Add(d); until.After(b.paused) {
		b.paused = until
	}
	if b.ceiling == rate.Inf || b.ceiling <= 0 {
		return
	}
	b.regain(now)
	b.recent = slices.DeleteFunc(b.recent, func(at time.Time) bool { return now.Sub(at) >= throttleWindow })
	b.recent = append(b.recent, now)
	if len(b.recent) >= throttlesToShrink {
		b.recent = b.recent[:0]
		b.frac = max(b.frac/2, floorFraction)
		b.step = (1 - b.frac) / recoverSteps
		b.setLimit(now)
	}
	b.base, b.quiet = b.frac, now
}

// regain gives back what the time since the last throttle has earned a
// shrunk bucket. b.mu is held.
func (b *Bucket) regain(now time.Time) {
	if b.frac >= 1 {
		return
	}
	k := now.Sub(b.quiet) / recoverEvery
	if k <= 0 {
		return
	}
	f := b.base + float64(k)*b.step
	if f > 1-1e-9 {
		f = 1
	}
	if f != b.frac {
		b.frac = f
		b.setLimit(now)
	}
}

// setLimit sets the limiter to frac of the ceiling. b.mu is held.
func (b *Bucket) setLimit(now time.Time) {
	limit := b.ceiling
	if b.frac < 1 && limit != rate.Inf {
		limit *= rate.Limit(b.frac)
	}
	if limit != b.lim.Limit() {
		b.lim.SetLimitAt(now, limit)
	}
}

// Rate returns the bucket's current rate (shrunk, while throttling lasts)
// and burst.
func (b *Bucket) Rate() Rate {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.regain(b.now())
	return Rate{Limit: b.lim.Limit(), Burst: b.lim.Burst()}
}

// Tokens returns how many tokens are available now (for status and
// metrics).
func (b *Bucket) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens(b.now())
}

// tokens is Tokens at now. b.mu is held.
func (b *Bucket) tokens(now time.Time) float64 {
	b.regain(now)
	if b.lim.Limit() == rate.Inf {
		return float64(b.lim.Burst())
	}
	return b.lim.TokensAt(now)
}

// BucketStats is what a bucket has done and where it stands, for metrics
// (accord_channel_requests_total, accord_channel_throttles_total,
// accord_channel_budget_tokens). Requests and Throttles are counters: they
// only grow, for as long as the bucket lives (as long as the Budgets that
// holds it); the rest is the state at the instant of the call.
type BucketStats struct {
	// Requests counts the Waits that got their tokens.
	Requests uint64
	// Throttles counts the Pause calls.
	Throttles uint64
	// Waiting is how many callers wait for their turn now.
	Waiting int
	// Tokens is how many tokens are available now.
	Tokens float64
	// Rate is the rate in force; Ceiling the rate given or learned, which
	// the bucket returns to when throttling stops.
	Rate    Rate
	Ceiling rate.Limit
	// Fraction is Rate.Limit over Ceiling: 1, or less while the bucket is
	// shrunk for sustained throttling.
	Fraction float64
}

// Stats returns the bucket's counters and state.
func (b *Bucket) Stats() BucketStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	return BucketStats{
		Requests:  b.requests,
		Throttles: b.throttles,
		Waiting:   len(b.queue),
		Tokens:    b.tokens(now),
		Rate:      Rate{Limit: b.lim.Limit(), Burst: b.lim.Burst()},
		Ceiling:   b.ceiling,
		Fraction:  b.frac,
	}
}

// tickets is the line of callers waiting on a bucket, a heap (see
// container/heap): the most urgent first, then the earliest.
type tickets []*ticket

func (q tickets) Len() int { return len(q) }

func (q tickets) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}

func (q tickets) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *tickets) Push(x any) {
	t := x.(*ticket)
	t.index = len(*q)
	*q = append(*q, t)
}

func (q *tickets) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	t.index = -1
	return t
}

// Budgets holds one Budget per channel account. The controller keeps it for
// as long as it runs, so a new commit that reopens a channel keeps what was
// learned of its account.
type Budgets struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*Budget
}

// NewBudgets returns an empty set; now is the clock (nil: time.Now).
func NewBudgets(now func() time.Time) *Budgets {
	return &Budgets{now: now, m: map[string]*Budget{}}
}

// For returns the budget of an account (a key the adapter chooses, such as
// "shopify:acme.myshopify.com"), made with the given rates the first time.
func (s *Budgets) For(account string, read, write Rate) *Budget {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.m[account]; ok {
		return b
	}
	b := &Budget{Read: NewBucket(read, s.now), Write: NewBucket(write, s.now), now: s.now}
	s.m[account] = b
	return b
}

// Accounts returns the accounts with a budget, for status and metrics.
func (s *Budgets) Accounts() map[string]*Budget {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*Budget, len(s.m))
	for k, v := range s.m {
		out[k] = v
	}
	return out
}
