package loop_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/loop"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

// dirSource is a Source over a directory that tests edit: Touch says it
// moved.
type dirSource struct {
	dir string

	mu    sync.Mutex
	moved bool
	n     int
}

func (d *dirSource) Sync(context.Context) (loop.Revision, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	moved := d.moved || d.n == 0
	d.moved = false
	d.n++
	return loop.Revision{Dir: d.dir, Commit: "", Author: "test"}, moved, nil
}

func (d *dirSource) Touch() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.moved = true
}

// fakeClock is a Clock tests move by hand: timers fire when it passes
// them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) loop.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		t.stopped = true
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock and fires the timers it passes.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.stopped {
			continue
		}
		if !t.at.After(c.now) {
			t.stopped = true
			t.c <- c.now
			continue
		}
		kept = append(kept, t)
	}
	c.timers = kept
}

const testSpec = `
settings {
  currency = "USD"
  timezone = "UTC"
}
channel "shop" {
  type = "sandbox"
}
channel "market" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "sandbox"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["shop", "market"]
}
price_matrix "default" {
  rounding = "none"
}
listing {
  title = product.title
}
drift {
  quantity = "correct"
  price    = "correct"
  fields   = "report"
}
`

// kit is a spec directory on sandboxes, a store and a loop over them.
type kit struct {
	t     *testing.T
	dir   string
	src   *dirSource
	st    *store.Store
	c     *controller.Controller
	reg   *adapters.Registry
	notes chan loop.Notice
	clock loop.Clock
}

func newKit(t *testing.T, extra string, clock loop.Clock) *kit {
	t.Helper()
	dir := t.TempDir()
	k := &kit{t: t, dir: dir, src: &dirSource{dir: dir}, reg: builtin.Registry(), notes: make(chan loop.Notice, 100), clock: clock}
	k.write("accord.hcl", testSpec+extra)
	k.write("products.csv", "sku,price,title\nA-1,20.00,Alpha\nB-2,10.00,Beta\n")
	k.write("stock.csv", "sku,on_hand\nA-1,10\nB-2,4\n")
	st, err := store.Open(context.Background(), filepath.Join(dir, ".accord", "state.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	k.st = st
	k.c = controller.New(controller.Config{Registry: k.reg, Store: st, Owner: "accord run", Now: clock.Now})
	t.Cleanup(func() {
		_ = k.c.Close()
		_ = st.Close()
	})
	return k
}

func (k *kit) write(name, data string) {
	k.t.Helper()
	if err := os.WriteFile(filepath.Join(k.dir, name), []byte(data), 0o600); err != nil {
		k.t.Fatal(err)
	}
}

func (k *kit) loop(mode loop.Mode) *loop.Loop {
	k.t.Helper()
	l, err := loop.New(loop.Config{
		Controller: k.c, Store: k.st, Source: k.src, Mode: mode, Clock: k.clock,
		Load: func(_ context.Context, dir string) (*spec.Spec, map[string][]byte, hcl.Diagnostics) {
			s, diags := spec.LoadDir(dir, spec.Options{Types: k.reg})
			var sources map[string][]byte
			if s != nil {
				sources = s.Sources
			}
			return s, sources, diags
		},
		Poll: time.Hour, Resync: time.Hour, StockResync: time.Hour,
		Reconcile: controller.Options{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
		Notify: func(n loop.Notice) {
			select {
			case k.notes <- n:
			default:
			}
		},
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return l
}

// run runs the loop until the test ends.
func (k *kit) run(l *loop.Loop) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, false) }()
	k.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			k.t.Errorf("Run: %v", err)
		}
	})
}

// eventually waits for cond, failing the test after a generous while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listing observes one sandbox listing.
func (k *kit) listing(channel, sku string) *adapters.Listing {
	k.t.Helper()
	ch, err := sandbox.OpenChannel(context.Background(), adapters.Setup{Name: channel, Currency: "USD", Scale: 2, SpecDir: k.dir, Now: k.clock.Now})
	if err != nil {
		k.t.Fatal(err)
	}
	defer func() { _ = ch.Close() }()
	var got *adapters.Listing
	err = ch.Observe(context.Background(), []string{sku}, func(page []adapters.Listing) error {
		for i := range page {
			got = &page[i]
		}
		return nil
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return got
}

func (k *kit) price(channel, sku string) string {
	l := k.listing(channel, sku)
	if l == nil || !l.Price.Valid {
		return ""
	}
	return l.Price.Decimal.StringFixed(2)
}

// The daemon starts, converges, and picks up a new revision: a price
// change reaches the sandbox.
func TestLoopConvergesAndFollows(t *testing.T) {
	k := newKit(t, "", loop.RealClock{})
	l := k.loop(loop.ApplyAll)
	k.run(l)
	eventually(t, "the first reconcile", func() bool { return l.Status().Ready })
	if got := k.price("shop", "A-1"); got != "20.00" {
		t.Fatalf("shop A-1 price %q after the first reconcile, want 20.00", got)
	}
	first := l.Status().Revision
	k.write("products.csv", "sku,price,title\nA-1,25.00,Alpha\nB-2,10.00,Beta\n")
	k.src.Touch()
	l.Sync("test")
	eventually(t, "the new price", func() bool { return k.price("market", "A-1") == "25.00" })
	if st := l.Status(); st.Revision == first || st.InForce != st.Revision {
		t.Errorf("status after the new revision: %+v", st)
	}
	// Only what the revision moved was reconciled: A-1, not B-2.
	eventually(t, "the reconcile of the commit", func() bool {
		last := l.Status().Last
		return last != nil && strings.Contains(last.Trigger, "commit")
	})
	if sum := l.Status().Last.Summary; sum != "applied 2 of 2" {
		t.Errorf("the commit's reconcile: %q, want the two listings of A-1", sum)
	}
}

// A revision that does not validate is refused: the last good one stays
// in force and a spec_invalid exception says why, until a good revision
// resolves it.
func TestLoopRefusesABadRevision(t *testing.T) {
	k := newKit(t, "", loop.RealClock{})
	l := k.loop(loop.ApplyAll)
	k.run(l)
	eventually(t, "the first reconcile", func() bool { return l.Status().Ready })
	good := l.Status().Revision
	k.write("bad.hcl", "pool \"x\" {\n  source = \"nowhere\"\n}\n")
	k.src.Touch()
	l.Sync("test")
	eventually(t, "the refusal", func() bool { return l.Status().Refused != nil })
	if st := l.Status(); st.InForce != good {
		t.Errorf("in force after a bad revision: %s, want %s", st.InForce, good)
	}
	ex, err := k.st.Exceptions(context.Background(), store.ExceptionFilter{Code: loop.CodeSpecInvalid})
	if err != nil || len(ex) != 1 || !strings.Contains(ex[0].Message, "bad.hcl line 2") {
		t.Fatalf("spec_invalid exceptions: %+v, %v", ex, err)
	}
	select {
	case n := <-k.notes:
		if n.Kind != "commit_refused" {
			t.Errorf("notice %+v, want commit_refused", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("no notice of the refusal")
	}
	// A price change in the refused state is not applied.
	if err := os.Remove(filepath.Join(k.dir, "bad.hcl")); err != nil {
		t.Fatal(err)
	}
	k.write("products.csv", "sku,price,title\nA-1,21.00,Alpha\nB-2,10.00,Beta\n")
	k.src.Touch()
	l.Sync("test")
	eventually(t, "the good revision", func() bool { return k.price("shop", "A-1") == "21.00" })
	eventually(t, "the exception resolved", func() bool {
		ex, err := k.st.Exceptions(context.Background(), store.ExceptionFilter{Code: loop.CodeSpecInvalid})
		return err == nil && len(ex) == 0
	})
	if l.Status().Refused != nil {
		t.Error("still refused after a good revision")
	}
}

// With --apply drift-only, an out-of-band edit is healed at once while a
// new revision's changes wait until approved.
func TestLoopDriftOnly(t *testing.T) {
	k := newKit(t, "", loop.RealClock{})
	l := k.loop(loop.ApplyDriftOnly)
	// No apply has ever run: the first revision needs approval too.
	k.run(l)
	eventually(t, "the pending plan", func() bool { return l.Pending() != nil })
	if got := k.price("shop", "A-1"); got != "" {
		t.Fatalf("applied before approval: shop A-1 at %q", got)
	}
	rev := l.Status().Revision
	if err := l.Approve(context.Background(), "sha256:nope", "test"); err == nil {
		t.Error("approving another revision succeeded")
	}
	if err := l.Approve(context.Background(), rev, "test"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the approved revision applied", func() bool { return k.price("shop", "A-1") == "20.00" })

	// A spec change waits; drift is healed meanwhile.
	k.write("products.csv", "sku,price,title\nA-1,30.00,Alpha\nB-2,10.00,Beta\n")
	k.src.Touch()
	l.Sync("test")
	eventually(t, "the pending plan", func() bool { return l.Pending() != nil })
	setPrice(t, k, "market", "B-2", "1.00")
	l.Sync("resync-by-hand")
	k.src.Touch() // a full reconcile
	l.Sync("test")
	eventually(t, "drift healed", func() bool { return k.price("market", "B-2") == "10.00" })
	if got := k.price("shop", "A-1"); got != "20.00" {
		t.Fatalf("the unapproved price went out: %s", got)
	}
	if err := l.Approve(context.Background(), l.Status().Revision, "test"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the approved change", func() bool { return k.price("shop", "A-1") == "30.00" })
	eventually(t, "no pending plan", func() bool { return l.Pending() == nil })
}

func setPrice(t *testing.T, k *kit, channel, sku, price string) {
	t.Helper()
	ch, err := sandbox.OpenChannel(context.Background(), adapters.Setup{Name: channel, Currency: "USD", Scale: 2, SpecDir: k.dir, Now: k.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ch.Close() }()
	if err := ch.Set(context.Background(), sku, "price", price); err != nil {
		t.Fatal(err)
	}
}

// A promotion goes live at its start: the loop sets a timer at the
// boundary, and the reconcile it starts derives the sale price.
func TestLoopPromotionBoundary(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	k := newKit(t, `
promotion "flash" {
  starts   = "2026-12-01T09:00:03"
  ends     = "2026-12-01T10:00:00"
  skus     = ["A-1"]
  discount = "10%"
}
`, clock)
	l := k.loop(loop.ApplyAll)
	k.run(l)
	eventually(t, "the first reconcile", func() bool { return l.Status().Ready })
	if got := k.price("shop", "A-1"); got != "20.00" {
		t.Fatalf("price before the promotion %q, want 20.00", got)
	}
	eventually(t, "the boundary timer", func() bool { return l.Status().NextBoundary.Equal(start.Add(3 * time.Second)) })
	clock.Advance(3 * time.Second)
	eventually(t, "the reconcile at the boundary", func() bool {
		last := l.Status().Last
		return last != nil && last.Trigger == "promotion"
	})
	if got := k.price("shop", "A-1"); got != "18.00" {
		t.Errorf("price at the promotion's start %q, want 18.00", got)
	}
}
