package adapters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock is the buckets' clock in these tests: time moves only when the
// test says, and the timers a bucket starts fire then.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), timers: map[*fakeTimer]bool{}}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// timer is Bucket.timer on this clock: it fires at at, which the bucket
// computed from the clock, however far the clock has moved since.
func (c *fakeClock) timer(_ time.Duration, at time.Time) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ft := &fakeTimer{at: at, c: make(chan time.Time, 1)}
	if !at.After(c.t) {
		ft.c <- c.t
		return ft.c, func() bool { return false }
	}
	c.timers[ft] = true
	return ft.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := c.timers[ft]
		delete(c.timers, ft)
		return was
	}
}

// advance moves the clock by d and fires the timers due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.fire()
}

// fire fires the timers due. c.mu is held.
func (c *fakeClock) fire() {
	for ft := range c.timers {
		if !ft.at.After(c.t) {
			ft.c <- c.t
			delete(c.timers, ft)
		}
	}
}

// bucket returns a bucket on the clock.
func (c *fakeClock) bucket(r Rate) *Bucket {
	bk := NewBucket(r, c.now)
	bk.timer = c.timer
	return bk
}

// waitFor waits until the bucket has n callers in line.
func waitFor(t *testing.T, bk *Bucket, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for bk.Stats().Waiting != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers in line, want %d", bk.Stats().Waiting, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// served receives the next caller served, or fails the test.
func served(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("nobody was served")
		return ""
	}
}

// TestBucketServesByPriority empties a bucket of one call a second, lines
// callers up in a known order, and lets one call through per second of the
// clock: the most urgent goes first, and within one priority the first to
// come.
func TestBucketServesByPriority(t *testing.T) {
	type caller struct {
		name   string
		prio   Priority
		marked bool // false: the context carries no priority
	}
	cut := caller{"cut", PriorityQuantityCut, true}
	qty := caller{"quantity", PriorityQuantity, true}
	price := caller{"price", PriorityPrice, true}
	price2 := caller{"price2", PriorityPrice, true}
	content := caller{"content", PriorityContent, true}
	read := caller{"read", 0, false}
	cases := []struct {
		name string
		line []caller // in the order they come
		want []string
	}{
		{"most urgent first", []caller{content, price, cut}, []string{"cut", "price", "content"}},
		{"first come within a priority", []caller{price, price2, qty}, []string{"quantity", "price", "price2"}},
		{"unmarked between quantities and prices", []caller{content, read, price, qty, cut}, []string{"cut", "quantity", "read", "price", "content"}},
		{"one caller", []caller{content}, []string{"content"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			bk := clock.bucket(Rate{Limit: 1, Burst: 1})
			if err := bk.Wait(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			out := make(chan string, len(tc.line))
			for i, c := range tc.line {
				ctx := context.Background()
				if c.marked {
					ctx = WithPriority(ctx, c.prio)
				}
				go func() {
					if err := bk.Wait(ctx, 1); err != nil {
						out <- "error: " + err.Error()
						return
					}
					out <- c.name
				}()
				waitFor(t, bk, i+1)
			}
			var got []string
			for range tc.line {
				clock.advance(time.Second)
				got = append(got, served(t, out))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("served %q, want %q", got, tc.want)
			}
			if s := bk.Stats(); s.Requests != uint64(1+len(tc.line)) || s.Waiting != 0 {
				t.Errorf("stats %+v, want %d requests and nobody waiting", s, 1+len(tc.line))
			}
		})
	}
}

// TestBucketNoOvertaking: a caller that comes when the tokens are there,
// but while callers at least as urgent wait for them (the first one's timer
// has not woken it yet), takes its place in line behind them.
func TestBucketNoOvertaking(t *testing.T) {
	clock := newFakeClock()
	bk := clock.bucket(Rate{Limit: 1, Burst: 1})
	ctx := context.Background()
	if err := bk.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 3)
	for i, c := range []struct {
		name string
		prio Priority
	}{{"price", PriorityPrice}, {"content", PriorityContent}} {
		go func() {
			if err := bk.Wait(WithPriority(ctx, c.prio), 1); err != nil {
				out <- "error: " + err.Error()
				return
			}
			out <- c.name
		}()
		waitFor(t, bk, i+1)
	}
	clock.mu.Lock()
	clock.t = clock.t.Add(time.Second) // the token is back; nobody woken
	clock.mu.Unlock()
	go func() {
		if err := bk.Wait(WithPriority(ctx, PriorityContent), 1); err != nil {
			out <- "error: " + err.Error()
			return
		}
		out <- "late content"
	}()
	waitFor(t, bk, 3)
	var got []string
	clock.mu.Lock()
	clock.fire()
	clock.mu.Unlock()
	got = append(got, served(t, out))
	for range 2 {
		clock.advance(time.Second)
		got = append(got, served(t, out))
	}
	if want := []string{"price", "content", "late content"}; !slices.Equal(got, want) {
		t.Errorf("served %q, want %q", got, want)
	}
}

// TestBucketCancelledWaiter gives up its place: the next in line goes, and
// a caller that gave up takes no token.
func TestBucketCancelledWaiter(t *testing.T) {
	cases := []struct {
		name   string
		cancel string // which caller's context ends
		want   []string
	}{
		{"the first in line", "cut", []string{"price", "content"}},
		{"one in the middle", "price", []string{"cut", "content"}},
		{"the last in line", "content", []string{"cut", "price"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			bk := clock.bucket(Rate{Limit: 1, Burst: 1})
			if err := bk.Wait(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			out := make(chan string, 3)
			gaveUp := make(chan error, 1)
			var cancel context.CancelFunc
			line := []struct {
				name string
				prio Priority
			}{{"content", PriorityContent}, {"price", PriorityPrice}, {"cut", PriorityQuantityCut}}
			for i, c := range line {
				ctx := WithPriority(context.Background(), c.prio)
				if c.name == tc.cancel {
					ctx, cancel = context.WithCancel(ctx)
				}
				go func() {
					err := bk.Wait(ctx, 1)
					switch {
					case c.name == tc.cancel:
						gaveUp <- err
					case err != nil:
						out <- "error: " + err.Error()
					default:
						out <- c.name
					}
				}()
				waitFor(t, bk, i+1)
			}
			cancel()
			if err := <-gaveUp; !errors.Is(err, context.Canceled) {
				t.Fatalf("the cancelled caller got %v", err)
			}
			waitFor(t, bk, 2)
			var got []string
			for range 2 {
				clock.advance(time.Second)
				got = append(got, served(t, out))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("served %q, want %q", got, tc.want)
			}
			if s := bk.Stats(); s.Requests != 3 || s.Tokens > 0.001 {
				t.Errorf("stats %+v: want 3 requests and the bucket empty", s)
			}
		})
	}
}

// TestBucketWaitsOnTheClock covers what makes the first in line wait: a
// pause, a cost over the burst, a rate of zero that Learn lifts. Each case
// moves the clock in steps and says after which step the call is through.
func TestBucketWaitsOnTheClock(t *testing.T) {
	cases := []struct {
		name  string
		rate  Rate
		setup func(*Bucket)
		n     int
		steps []time.Duration
		// then is run after each step; nil: nothing.
		then    func(*Bucket, int)
		through int // the step after which the call returns
	}{
		{
			name: "a pause holds even a cut", rate: Unlimited, n: 1,
			setup: func(bk *Bucket) { bk.Pause(10 * time.Second) },
			steps: []time.Duration{9 * time.Second, time.Second}, through: 1,
		},
		{
			name: "a cost over the burst waits for the rest", rate: Rate{Limit: 10, Burst: 5}, n: 12,
			// 5 at once, 5 more after 0.5s, the last 2 after 0.2s more.
			steps: []time.Duration{400 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond, 50 * time.Millisecond}, through: 3,
		},
		{
			name: "a faster rate learned wakes the first in line", rate: Rate{Limit: 0.001, Burst: 1}, n: 1,
			setup: func(bk *Bucket) { _ = bk.Wait(context.Background(), 1) },
			steps: []time.Duration{time.Second, time.Millisecond},
			then: func(bk *Bucket, step int) {
				if step == 0 {
					bk.Learn(Rate{Limit: 1000})
				}
			},
			through: 1,
		},
		{
			name: "a rate of zero waits for Learn", rate: Rate{Limit: 1, Burst: 1}, n: 1,
			setup: func(bk *Bucket) { _ = bk.Wait(context.Background(), 1); bk.Learn(Rate{Limit: 0}) },
			steps: []time.Duration{time.Hour, 0, time.Second},
			then: func(bk *Bucket, step int) {
				if step == 1 {
					bk.Learn(Rate{Limit: 1})
				}
			},
			through: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			bk := clock.bucket(tc.rate)
			if tc.setup != nil {
				tc.setup(bk)
			}
			done := make(chan error, 1)
			ctx := WithPriority(context.Background(), PriorityQuantityCut)
			go func() { done <- bk.Wait(ctx, tc.n) }()
			waitFor(t, bk, 1)
			for i, d := range tc.steps {
				clock.advance(d)
				if tc.then != nil {
					tc.then(bk, i)
				}
				if i < tc.through {
					// Give a wrongly woken caller the time to return.
					time.Sleep(time.Millisecond)
					select {
					case err := <-done:
						t.Fatalf("through after step %d (%v), want after step %d", i, err, tc.through)
					default:
					}
					continue
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("still waiting after step %d", i)
				}
				return
			}
		})
	}
}

// TestBucketShrinksAndRecovers drives a bucket of 10 calls a second
// through throttles and calm, and checks its rate after each step.
func TestBucketShrinksAndRecovers(t *testing.T) {
	type step struct {
		after time.Duration // clock moved by this much first
		do    string        // "pause", "learn N" or "" (only look)
		want  rate.Limit
	}
	pause := func(after time.Duration, want rate.Limit) step { return step{after, "pause", want} }
	look := func(after time.Duration, want rate.Limit) step { return step{after, "", want} }
	cases := []struct {
		name  string
		steps []step
	}{
		{"two throttles are not sustained", []step{
			pause(0, 10), pause(time.Second, 10), look(time.Hour, 10),
		}},
		{"three within a minute halve the rate", []step{
			pause(0, 10), pause(20*time.Second, 10), pause(20*time.Second, 5),
		}},
		{"three spread over more than a minute do not", []step{
			pause(0, 10), pause(40*time.Second, 10), pause(40*time.Second, 10),
		}},
		{"the count starts again after a halving", []step{
			pause(0, 10), pause(0, 10), pause(0, 5), pause(0, 5), pause(0, 5), pause(0, 2.5),
		}},
		{"never below a tenth of the ceiling", []step{
			pause(0, 10), pause(0, 10), pause(0, 5),
			pause(0, 5), pause(0, 5), pause(0, 2.5),
			pause(0, 2.5), pause(0, 2.5), pause(0, 1.25),
			pause(0, 1.25), pause(0, 1.25), pause(0, 1),
			pause(0, 1), pause(0, 1), pause(0, 1),
		}},
		{"a tenth of the loss back every 30s of calm, never above", []step{
			pause(0, 10), pause(0, 10), pause(0, 5),
			look(29*time.Second, 5), look(time.Second, 5.5), look(30*time.Second, 6),
			look(3*time.Minute, 9), look(time.Minute, 10), look(time.Hour, 10),
		}},
		{"a throttle while recovering starts the calm again", []step{
			pause(0, 10), pause(0, 10), pause(0, 5),
			look(time.Minute, 6), pause(0, 6), look(29*time.Second, 6), look(time.Second, 6.5),
		}},
		{"learning moves the ceiling, the shrink stays", []step{
			pause(0, 10), pause(0, 10), pause(0, 5),
			{0, "learn 20", 10}, look(5*time.Minute, 20), look(time.Hour, 20),
		}},
		{"learning the same rate again undoes nothing", []step{
			pause(0, 10), pause(0, 10), pause(0, 5), {time.Second, "learn 10", 5},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			bk := clock.bucket(Rate{Limit: 10, Burst: 10})
			for i, s := range tc.steps {
				clock.advance(s.after)
				switch {
				case s.do == "pause":
					bk.Pause(0)
				case s.do != "":
					var limit float64
					if _, err := fmt.Sscanf(s.do, "learn %g", &limit); err != nil {
						t.Fatal(err)
					}
					bk.Learn(Rate{Limit: rate.Limit(limit)})
				}
				if got := bk.Rate().Limit; !near(got, s.want) {
					t.Fatalf("step %d (%s after %s): rate %v, want %v", i, s.do, s.after, got, s.want)
				}
			}
		})
	}
}

func near(a, b rate.Limit) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestBucketUnlimitedOnlyPauses: a bucket without a rate has nothing to
// shrink, whatever the throttling.
func TestBucketUnlimitedOnlyPauses(t *testing.T) {
	clock := newFakeClock()
	bk := clock.bucket(Unlimited)
	for range 5 {
		bk.Pause(0)
	}
	s := bk.Stats()
	if s.Rate.Limit != rate.Inf || s.Fraction != 1 || s.Throttles != 5 {
		t.Errorf("stats %+v: want no limit, fraction 1, 5 throttles", s)
	}
}

// TestBucketStats checks the counters the daemon exports, and that an
// account names all its buckets.
func TestBucketStats(t *testing.T) {
	clock := newFakeClock()
	b := NewBudgets(clock.now).For("sandbox:acme", Unlimited, Rate{Limit: 10, Burst: 2})
	patch := b.Op("patchListingsItem", Rate{Limit: 5, Burst: 5})
	ctx := context.Background()
	for range 2 {
		if err := b.Write.Wait(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Write.Wait(cancelled, 1); err == nil {
		t.Error("Wait with an ended context returned nil")
	}
	for range 3 {
		b.Write.Pause(time.Second)
	}
	s := b.Write.Stats()
	want := BucketStats{Requests: 2, Throttles: 3, Rate: Rate{Limit: 5, Burst: 2}, Ceiling: 10, Fraction: 0.5}
	if s != want {
		t.Errorf("write stats %+v, want %+v", s, want)
	}
	got := b.Buckets()
	if len(got) != 3 || got["read"] != b.Read || got["write"] != b.Write || got["patchListingsItem"] != patch {
		t.Errorf("Buckets() = %v, want read, write and patchListingsItem", got)
	}
}

// BenchmarkBucketWait is the cost of Bucket.Wait on a bucket that never
// makes anyone wait: the price every request pays for the pacing.
func BenchmarkBucketWait(b *testing.B) {
	ctx := context.Background()
	b.Run("unlimited", func(b *testing.B) {
		bk := NewBucket(Unlimited, nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := bk.Wait(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unlimited-parallel", func(b *testing.B) {
		bk := NewBucket(Unlimited, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := bk.Wait(ctx, 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("roomy", func(b *testing.B) {
		// A rate far above what the loop asks for: the limiter counts,
		// nobody waits.
		bk := NewBucket(Rate{Limit: 1e12, Burst: 1 << 20}, nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := bk.Wait(ctx, 1); err != nil {
				b.Error(err)
			}
		}
	})
}
