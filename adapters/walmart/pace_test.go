package walmart

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// drive runs fn while moving clk as op's bucket asks: whenever a caller
// waits on it, the clock moves to when the bucket next has a token, or to
// the end of the fake's window while that has no call left (the hold its
// last answer asked for), and the bucket is woken. No real time passes on
// a wait, and the clock moves only while a call waits, never while one is
// with the fake.
func drive(clk *testClock, f *fake, c *Channel, o op, fn func()) {
	b := c.opBucket(o)
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	idle := 0
	for {
		select {
		case <-done:
			return
		default:
		}
		runtime.Gosched()
		st := b.Stats()
		if st.Waiting == 0 {
			continue
		}
		now := clk.Now()
		target := now
		if st.Tokens < 1 && st.Rate.Limit > 0 && st.Rate.Limit != rate.Inf {
			target = now.Add(time.Duration((1-st.Tokens)/float64(st.Rate.Limit)*float64(time.Second)) + time.Microsecond)
		}
		if left, end := f.Window(o.name); left == 0 && !end.IsZero() {
			// The header's time: the end in milliseconds, rounded up.
			if end = end.Add(time.Millisecond - 1).Truncate(time.Millisecond); end.After(target) {
				target = end
			}
		}
		if !target.After(now) {
			// Woken and about to go; or waiting on what this cannot
			// see: then a millisecond at a time.
			if idle++; idle < 1000 {
				continue
			}
			target = now.Add(time.Millisecond)
		}
		idle = 0
		clk.Add(target.Sub(now))
		b.Learn(adapters.Rate{Limit: st.Ceiling, Burst: st.Rate.Burst}) // the same rate: only wakes the waiter
	}
}

// paced applies n quantity changes, one updateInventoryForAnItem call each,
// on a fake whose window for that operation is calls every period, on a
// fake clock; it returns the adapter, the fake and the clock time the
// calls took.
func paced(t *testing.T, n, calls int, period time.Duration, extra string) (*Channel, *fake, time.Duration) {
	t.Helper()
	clk := &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f, c, ls := seeded(t, n, "feed_threshold = 10000\n"+extra, func(s *adapters.Setup) {
		s.Now = clk.Now
		s.Budgets = adapters.NewBudgets(clk.Now)
	})
	f.SetClock(clk.Now)
	f.SetWindow(opPutInventory.name, calls, period)
	changes := make([]adapters.Change, n)
	for i, l := range ls {
		changes[i] = adapters.Change{Key: l.Key, Kind: adapters.KindQuantity, To: adapters.Units(int64(1000 + i))}
	}
	start := clk.Now()
	var rs []adapters.Result
	drive(clk, f, c, opPutInventory, func() { rs = c.Apply(context.Background(), changes) })
	took := clk.Now().Sub(start)
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	if got := f.Calls(opPutInventory.name); got != n {
		t.Errorf("%d %s calls, want %d", got, opPutInventory.name, n)
	}
	return c, f, took
}

// A window smaller than the guess (5 calls a second against 20): the adapter
// spreads each window's calls over it and never draws a 429, where the
// guess alone would send its burst of 100 into the fifth call's refusal.
func TestHeadersPaceSmallWindow(t *testing.T) {
	const n = 60
	c, f, took := paced(t, n, 5, time.Second, "")
	st := c.opBucket(opPutInventory).Stats()
	t.Logf("%d calls in %v of the fake's clock (window 5 a second): %.1f a second; bucket %+v", n, took, n/took.Seconds(), st)
	if f.Throttled() != 0 {
		t.Errorf("%d calls answered 429, want none", f.Throttled())
	}
	// At most 5 a second; spreading the count over what is left of the
	// window leaves its last call for the next, so at least 4.
	if took < (n/5-1)*time.Second || took > (n/4+1)*time.Second {
		t.Errorf("%d calls took %v, want between %v and %v", n, took, (n/5-1)*time.Second, (n/4+1)*time.Second)
	}
	if st.Ceiling > 5 {
		t.Errorf("the bucket's ceiling is %v, want at most the window's 5 a second", st.Ceiling)
	}
}

// A window larger than the guess lets the adapter go faster than 20 a
// second.
func TestHeadersLetLargeWindowGoFaster(t *testing.T) {
	const n = 500
	c, f, took := paced(t, n, 10_000, time.Second, "")
	st := c.opBucket(opPutInventory).Stats()
	t.Logf("%d calls in %v of the fake's clock (window 10,000 a second): %.0f a second; bucket %+v", n, took, n/took.Seconds(), st)
	// The guess (20 a second after a burst of 100) would take 20 s.
	if guess := time.Duration(n-guessed.Burst) * time.Second / time.Duration(guessed.Limit); took > guess/10 {
		t.Errorf("%d calls took %v, want well under the guess's %v", n, took, guess)
	}
	if st.Ceiling <= guessed.Limit || f.Throttled() != 0 {
		t.Errorf("ceiling %v, %d throttled: want above the guessed %v and none", st.Ceiling, f.Throttled(), guessed.Limit)
	}
}

// call_rate is an explicit rate the headers never raise.
func TestHeadersNeverRaiseCallRate(t *testing.T) {
	const n = 150
	c, f, took := paced(t, n, 10_000, time.Second, "call_rate = 10\n")
	st := c.opBucket(opPutInventory).Stats()
	t.Logf("%d calls in %v with call_rate 10: bucket %+v", n, took, st)
	if st.Ceiling != 10 || took < (n-2)*time.Second/10 || f.Throttled() != 0 {
		t.Errorf("ceiling %v, %d calls in %v, %d throttled: want 10 a second", st.Ceiling, n, took, f.Throttled())
	}
}

// A window used up, by another tool on the account: the answer that says
// 0 left holds the operation until the window ends, and no call goes
// before it.
func TestHeadersHoldUntilReplenished(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f, c, ls := seeded(t, 3, "", func(s *adapters.Setup) {
		s.Now = clk.Now
		s.Budgets = adapters.NewBudgets(clk.Now)
	})
	f.SetClock(clk.Now)
	f.SetWindow(opPutInventory.name, 1, 40*time.Second)
	b := c.opBucket(opPutInventory)
	var rs []adapters.Result
	drive(clk, f, c, opPutInventory, func() {
		rs = c.Apply(context.Background(), []adapters.Change{
			{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1)},
			{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(2)},
		})
	})
	if rs[0].Err != nil || rs[1].Err != nil || f.Throttled() != 0 {
		t.Fatalf("results %+v, %d throttled", rs, f.Throttled())
	}
	if got := clk.Now().Sub(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)); got < 40*time.Second || got > 41*time.Second {
		t.Errorf("the second call went after %v, want when the window of 40 s ended", got)
	}
	// Held, not throttled: the rate is kept for the next window.
	if st := b.Stats(); st.Throttles != 0 || st.Fraction != 1 {
		t.Errorf("the bucket: %+v, want holds that count no throttle", st)
	}
}

func TestReadAllowance(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	good := []struct {
		count, at string
		want      allowance
	}{
		{"7", ms(30 * time.Second), allowance{7, 30 * time.Second}},
		{" 0 ", ms(1500 * time.Millisecond), allowance{0, 1500 * time.Millisecond}},
		{"7", strconv.FormatInt(now.Add(time.Minute).Unix(), 10), allowance{7, time.Minute}},
		{"7", now.Add(time.Minute).Format(time.RFC3339), allowance{7, time.Minute}},
		{"7", now.Add(time.Minute).Format(http.TimeFormat), allowance{7, time.Minute}},
		// A daily window: believed, but paced and held over an hour at most.
		{"7", ms(5 * time.Hour), allowance{7, maxHold}},
	}
	for _, g := range good {
		h := http.Header{}
		h.Set(hdrCallsLeft, g.count)
		h.Set(hdrReplenishAt, g.at)
		if got, ok := readAllowance(h, now); !ok || got != g.want {
			t.Errorf("%q, %q: %+v %v, want %+v", g.count, g.at, got, ok, g.want)
		}
	}
	for _, g := range garbage(now) {
		h := http.Header{}
		h.Set(hdrCallsLeft, g[0])
		h.Set(hdrReplenishAt, g[1])
		if got, ok := readAllowance(h, now); ok {
			t.Errorf("%q, %q: read as %+v, want ignored", g[0], g[1], got)
		}
	}
}

// garbage is pairs of X-Current-Token-Count and X-Next-Replenishment-Time
// that say nothing to believe at now.
func garbage(now time.Time) [][2]string {
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	return [][2]string{
		{"", ms(time.Minute)},
		{"7", ""},
		{"seven", ms(time.Minute)},
		{"-1", ms(time.Minute)},
		{"7.5", ms(time.Minute)},
		{"1e3", ms(time.Minute)},
		{"99999999999", ms(time.Minute)},
		{"0", "soon"},
		{"0", "57"},                                       // seconds to wait, perhaps: not a time
		{"0", ms(-time.Second)},                           // past
		{"0", ms(0)},                                      // now
		{"0", ms(10 * 365 * 24 * time.Hour)},              // ten years on
		{"0", "99999999999999999999"},                     // overflows
		{"0", now.Add(-time.Minute).Format(time.RFC3339)}, // past
	}
}

// Garbage headers on real answers change nothing: the guessed rate and
// burst stay, nothing is held.
func TestGarbageHeadersIgnored(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f := newFake(t)
	ls := adaptertest.Listings(fixture, 3)
	f.Seed(ls)
	f.SetClock(clk.Now)
	pairs := garbage(clk.Now())
	next := 0
	target, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.URL.Path == "/v3/inventory" {
			g := pairs[next%len(pairs)]
			next++
			r.Header.Set(hdrCallsLeft, g[0])
			r.Header.Set(hdrReplenishAt, g[1])
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	s := setupFor(t, f.Config(""))
	s.Now = clk.Now
	s.Budgets = adapters.NewBudgets(clk.Now)
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	c.cfg.Endpoint = srv.URL
	b := c.opBucket(opPutInventory)
	for i := range pairs {
		ch := []adapters.Change{{Key: ls[i%len(ls)].Key, Kind: adapters.KindQuantity, To: adapters.Units(int64(i))}}
		if r := c.Apply(context.Background(), ch); r[0].Err != nil {
			t.Fatalf("call %d: %v", i, r[0].Err)
		}
	}
	if next != len(pairs) {
		t.Fatalf("%d answers carried garbage, want %d", next, len(pairs))
	}
	if st := b.Stats(); st.Ceiling != guessed.Limit || st.Rate != guessed || st.Throttles != 0 {
		t.Errorf("after garbage headers the bucket is %+v, want the guess %+v untouched", st, guessed)
	}
}
