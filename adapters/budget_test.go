package adapters

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestBudgetsShareAnAccount(t *testing.T) {
	b := NewBudgets(nil)
	one := b.For("shopify:acme", Rate{Limit: 10, Burst: 5}, Rate{Limit: 2, Burst: 1})
	two := b.For("shopify:acme", Unlimited, Unlimited)
	if one != two {
		t.Fatal("two connections to one account got two budgets")
	}
	if got := two.Write.Rate(); got.Limit != 2 || got.Burst != 1 {
		t.Errorf("the second caller's rates replaced the first's: %+v", got)
	}
	if other := b.For("shopify:other", Unlimited, Unlimited); other == one {
		t.Error("two accounts share a budget")
	}
	patch := one.Op("patchListingsItem", Rate{Limit: 5, Burst: 5})
	if two.Op("patchListingsItem", Unlimited) != patch || patch.Rate().Limit != 5 {
		t.Error("an operation's bucket is not shared by the account's callers")
	}
	if one.Op("createFeed", Rate{Limit: 0.0083, Burst: 15}) == patch {
		t.Error("two operations share a bucket")
	}
	if n := len(b.Accounts()); n != 2 {
		t.Errorf("Accounts = %d, want 2", n)
	}
}

func TestBucketLearns(t *testing.T) {
	bk := NewBucket(Rate{Limit: 5, Burst: 10}, nil)
	bk.Learn(Rate{Limit: 0.5})
	if got := bk.Rate(); got.Limit != 0.5 || got.Burst != 10 {
		t.Errorf("after Learn(0.5): %+v, want limit 0.5 and the burst kept", got)
	}
	bk.Learn(Rate{Limit: 100, Burst: 40})
	if got := bk.Rate(); got.Limit != 100 || got.Burst != 40 {
		t.Errorf("after Learn(100, 40): %+v", got)
	}
	if tok := NewBucket(Unlimited, nil).Tokens(); tok < 1 {
		t.Errorf("an unlimited bucket has %v tokens", tok)
	}
}

// TestBucketPause drives the pause with a clock that the test moves: a
// Retry-After holds every caller of the account until it has passed.
func TestBucketPause(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	bk := NewBucket(Rate{Limit: rate.Inf}, clock)
	bk.Pause(time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := bk.Wait(ctx, 1); err == nil {
		t.Fatal("Wait returned during a pause")
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if err := bk.Wait(context.Background(), 1); err != nil {
		t.Fatalf("Wait after the pause: %v", err)
	}
	// A shorter pause never cuts a longer one.
	bk.Pause(time.Hour)
	bk.Pause(time.Second)
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := bk.Wait(ctx2, 1); err == nil {
		t.Error("a one-second pause cut the hour's short")
	}
}

func TestBucketWaitsForCost(t *testing.T) {
	// 1000 points a second, burst 100: a call costing 150 waits for the
	// burst and then 50 more points, about 50ms.
	bk := NewBucket(Rate{Limit: 1000, Burst: 100}, nil)
	start := time.Now()
	if err := bk.Wait(context.Background(), 150); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waiting for 150 points took %s", d)
	}
}

// A hold is a pause the channel announced (its window used up): callers
// wait as for a pause, but no throttle is counted and the rate is kept.
func TestBucketHold(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	bk := NewBucket(Rate{Limit: 10, Burst: 10}, clock)
	for range 5 {
		bk.Hold(time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := bk.Wait(ctx, 1); err == nil {
		t.Fatal("Wait returned during a hold")
	}
	if st := bk.Stats(); st.Throttles != 0 || bk.Rate().Limit != 10 {
		t.Errorf("after holds: %+v at %v; want no throttle and the rate kept", st, bk.Rate())
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if err := bk.Wait(context.Background(), 1); err != nil {
		t.Fatalf("Wait after the hold: %v", err)
	}
}
