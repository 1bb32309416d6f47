package adapters

import (
	"context"
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

// Bucket is a token bucket that an adapter tunes from what the channel says:
// a rate-limit header, a cost bucket's remaining points and restore rate, a
// Retry-After. It is safe for concurrent use.
type Bucket struct {
	now func() time.Time

	mu     sync.Mutex
	lim    *rate.Limiter
	paused time.Time // no call before this instant
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
	return &Bucket{now: now, lim: rate.NewLimiter(r.Limit, max(r.Burst, 1))}
}

// Wait blocks until n tokens (calls, or cost points) are available and no
// pause is in force, or ctx ends. n larger than the burst waits for the
// whole burst and then for the rest to accrue.
func (b *Bucket) Wait(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		wait := b.paused.Sub(b.now())
		b.mu.Unlock()
		if wait <= 0 {
			break
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
	for n > 0 {
		lim := b.limiter()
		step := min(n, max(lim.Burst(), 1))
		if err := lim.WaitN(ctx, step); err != nil {
			return err
		}
		n -= step
	}
	return nil
}

func (b *Bucket) limiter() *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lim
}

// Learn sets the rate the channel says applies (x-amzn-RateLimit-Limit, a
// restore rate). A zero Burst keeps the current one.
func (b *Bucket) Learn(r Rate) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	b.lim.SetLimitAt(t, r.Limit)
	if r.Burst > 0 {
		b.lim.SetBurstAt(t, r.Burst)
	}
}

// Pause holds every caller of the bucket for d (a Retry-After, a throttled
// answer): one throttled call slows the whole account, not just itself.
func (b *Bucket) Pause(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.paused) {
		b.paused = until
	}
}

// Rate returns the bucket's current rate and burst.
func (b *Bucket) Rate() Rate {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Rate{Limit: b.lim.Limit(), Burst: b.lim.Burst()}
}

// Tokens returns how many tokens are available now (for status and
// metrics).
func (b *Bucket) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lim.Limit() == rate.Inf {
		return float64(b.lim.Burst())
	}
	return b.lim.TokensAt(b.now())
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
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
