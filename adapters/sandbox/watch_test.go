package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/adapters"
)

// openWatching opens sandbox channel name in dir, looking for events every
// few milliseconds.
func openWatching(t *testing.T, dir, name string) *Channel {
	t.Helper()
	c, err := OpenChannel(context.Background(), adapters.Setup{Name: name, Currency: "USD", Scale: 2, SpecDir: dir,
		Config: body(t, `watch_interval = "2ms"`), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// next waits for the next event, generously: the test asserts what
// arrives and in which order, not how soon.
func next(t *testing.T, events <-chan adapters.Event, done <-chan error) adapters.Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case err := <-done:
		t.Fatalf("Watch returned %v while events were awaited", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no event in 30s")
	}
	return adapters.Event{}
}

// Watch reports the orders and edits other processes make on the channel,
// in order, and neither accord's own writes nor another channel's orders.
func TestWatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openWatching(t, dir, "shop")
	market := open(t, dir, "market")
	for _, ch := range []*Channel{c, market} {
		if r := ch.Apply(ctx, []adapters.Change{create("A", 5, "10.00"), create("B", 3, "10.00")}); r[0].Err != nil || r[1].Err != nil {
			t.Fatal(r)
		}
	}
	// The other process: `accord sandbox sell` and `set` open the same
	// sandbox file on their own.
	other := open(t, dir, "shop")

	// Start from the last event there is now, as Watch does when called,
	// so that everything below happens after it began.
	var last int64
	if err := c.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan adapters.Event, 16)
	done := make(chan error, 1)
	go func() {
		done <- c.watch(wctx, last, func(e adapters.Event) { events <- e })
	}()

	steps := []func() error{
		func() error { _, err := other.Sell(ctx, "A", "A", 2); return err },
		func() error {
			return firstErr(c.Apply(ctx, []adapters.Change{{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindQuantity, From: v("3"), To: v("7")}}))
		},
		func() error { return other.Set(ctx, "B", "price", "9.99") },
		func() error { _, err := market.Sell(ctx, "A", "A", 1); return err },
		func() error { return market.Set(ctx, "B", "title", "Elsewhere") },
		func() error { _, err := other.Sell(ctx, "B", "B", 1); return err },
		func() error {
			return firstErr(other.Apply(ctx, []adapters.Change{{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindPrice, To: v("12.00")}}))
		},
		func() error { return other.Set(ctx, "A", "title", "Lamp, renamed") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []adapters.Event{
		{Channel: "shop", SKU: "A", Kind: adapters.EventOrder, Units: 2, At: testNow},
		{Channel: "shop", SKU: "B", Kind: adapters.EventListing, At: testNow},
		{Channel: "shop", SKU: "B", Kind: adapters.EventOrder, Units: 1, At: testNow},
		{Channel: "shop", SKU: "A", Kind: adapters.EventListing, At: testNow},
	}
	var got []adapters.Event
	for range want {
		got = append(got, next(t, events, done))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after its context was cancelled = %v, want context.Canceled", err)
	}
	select {
	case e := <-events:
		t.Errorf("an event more than the edits made: %+v", e)
	default:
	}
}

// Watch reports only what happens after it is called, and returns the
// context's error when it ends.
func TestWatchFromNow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openWatching(t, dir, "shop")
	if r := c.Apply(ctx, []adapters.Change{create("A", 9, "10.00")}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if _, err := c.Sell(ctx, "A", "A", 2); err != nil { // before Watch: not reported
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan adapters.Event, 16)
	done := make(chan error, 1)
	go func() { done <- c.Watch(wctx, func(e adapters.Event) { events <- e }) }()
	// Watch may not have begun when an order is placed: keep ordering one
	// unit until one is reported. The order of 2, before Watch, never is.
	for tries := 1; ; tries++ {
		if tries > 5 {
			t.Fatal("no order reported")
		}
		if _, err := c.Sell(ctx, "A", "A", 1); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-events:
			if e.Kind != adapters.EventOrder || e.SKU != "A" || e.Units != 1 {
				t.Errorf("event %+v, want an order of 1 A", e)
			}
		case err := <-done:
			t.Fatalf("Watch returned %v", err)
		case <-time.After(5 * time.Second):
			continue
		}
		break
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch = %v, want context.Canceled", err)
	}
}

func firstErr(rs []adapters.Result) error {
	for _, r := range rs {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}
