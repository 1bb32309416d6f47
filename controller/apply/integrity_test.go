package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
)

var timedOut = &adapters.TemporaryError{Message: "request timed out", Timeout: true}

func create(channel, sku string, qty int64, title string) plan.Change {
	return plan.Change{Channel: channel, SKU: sku, Kind: adapters.KindCreate, Reason: plan.ReasonSpec, Listing: &adapters.Listing{
		Quantity: adapters.Quantity{Units: qty, Valid: true},
		Fields:   []adapters.Field{{Name: "title", Value: title}},
	}}
}

func same(sku string) string { return sku }

// creating is a fake channel that creates listings.
type creating struct{ *fakeChannel }

func (creating) CreatesListings() {}

// A change whose request timed out is observed before anything more is
// sent for it: found in place, it is recorded as applied and never sent
// again; a creation is sent again only when the listing is absent.
func TestUnknownOutcomeSettledByObserving(t *testing.T) {
	s := loadSpec(t)
	ch := &fakeChannel{
		limits: adapters.Limits{BatchSize: 10},
		script: script{
			"A quantity 9": {timedOut}, "B quantity 7": {timedOut},
			"C listing ": {timedOut}, "D listing ": {timedOut},
		},
		lands: map[string]bool{"A quantity 9": true, "C listing ": true},
		state: map[string]map[string]string{"A": {"quantity": "5"}, "B": {"quantity": "5"}},
	}
	j := &journal{}
	rep, err := Apply(context.Background(), &plan.Plan{Changes: []plan.Change{
		change("shop", "A", "quantity", "5", "9"), change("shop", "B", "quantity", "5", "7"),
		create("shop", "C", 3, "Lamp"), create("shop", "D", 4, "Chair"),
	}}, Options{Spec: s, Journal: j, RunID: 1, MaxAttempts: 3, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
		Targets: map[string]Target{"shop": {Channel: creating{ch}, ChannelSKU: same}},
		Observe: ch.observe,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.Summary(), "applied 4 of 4"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	for k, want := range map[string]int{"A quantity 9": 1, "B quantity 7": 2, "C listing ": 1, "D listing ": 2} {
		if got := ch.tries[k]; got != want {
			t.Errorf("%q sent %d times, want %d", k, got, want)
		}
	}
	slices.Sort(j.completed)
	want := []string{"A quantity 9", "B quantity 7", "C quantity 3", "C title Lamp", "D quantity 4", "D title Chair"}
	if !slices.Equal(j.completed, want) {
		t.Errorf("journaled as landed %q, want %q", j.completed, want)
	}
	if len(j.open)+len(j.unknown) != 0 {
		t.Errorf("journal left %d open and %d unknown batches", len(j.open), len(j.unknown))
	}
}

// A change whose outcome is unknown and cannot be observed is never sent
// again: it fails as unknown and stays so in the journal, for the next
// apply to observe first. Its attempts running out changes nothing.
func TestUnknownOutcomeKeptWhenUnobservable(t *testing.T) {
	s := loadSpec(t)
	for _, attempts := range []int{1, 5} {
		ch := &fakeChannel{
			limits: adapters.Limits{BatchSize: 10},
			script: script{"A quantity 9": {timedOut, timedOut}, "C listing ": {timedOut}},
			lands:  map[string]bool{"A quantity 9": true},
		}
		j := &journal{}
		rep, err := Apply(context.Background(), &plan.Plan{Changes: []plan.Change{
			change("shop", "A", "quantity", "5", "9"), create("shop", "C", 3, "Lamp"), change("shop", "B", "price", "1.00", "2.00"),
		}}, Options{Spec: s, Journal: j, RunID: 1, MaxAttempts: attempts, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
			Targets: map[string]Target{"shop": {Channel: creating{ch}, ChannelSKU: same}},
			Observe: func(context.Context, string, []string) (map[string]*adapters.Listing, error) {
				return nil, errors.New("HTTP 503")
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rep.Summary(), "applied 1 of 3; 2 failed: 2 with an unknown outcome, observed first by the next apply"; got != want {
			t.Errorf("attempts %d: summary %q, want %q", attempts, got, want)
		}
		if ch.tries["A quantity 9"] != 1 || ch.tries["C listing "] != 1 {
			t.Errorf("attempts %d: sent again before an observe: %v", attempts, ch.tries)
		}
		var kept []string
		for _, cs := range j.unknown {
			for _, c := range cs {
				kept = append(kept, c.SKU+" "+c.Field)
			}
		}
		slices.Sort(kept)
		if want := []string{"A quantity", "C quantity", "C title"}; !slices.Equal(kept, want) {
			t.Errorf("attempts %d: unknown in the journal %q, want %q", attempts, kept, want)
		}
	}
}

// With one attempt, a timed-out change is still observed before the apply
// ends: the one that landed is recorded, the other fails, known absent.
func TestUnknownOutcomeLastAttempt(t *testing.T) {
	s := loadSpec(t)
	ch := &fakeChannel{
		limits: adapters.Limits{BatchSize: 10},
		script: script{"A quantity 9": {timedOut}, "B quantity 7": {timedOut}},
		lands:  map[string]bool{"A quantity 9": true},
		state:  map[string]map[string]string{"A": {"quantity": "5"}, "B": {"quantity": "5"}},
	}
	j := &journal{}
	rep, err := Apply(context.Background(), &plan.Plan{Changes: []plan.Change{
		change("shop", "A", "quantity", "5", "9"), change("shop", "B", "quantity", "5", "7"),
	}}, Options{Spec: s, Journal: j, RunID: 1, MaxAttempts: 1, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
		Targets: map[string]Target{"shop": {Channel: ch, ChannelSKU: same}}, Observe: ch.observe,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.Summary(), "applied 1 of 2; 1 failed: 1 failed past retries"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if !slices.Equal(j.completed, []string{"A quantity 9"}) || len(j.unknown)+len(j.open) != 0 {
		t.Errorf("journal: landed %q, %d unknown, %d open", j.completed, len(j.unknown), len(j.open))
	}
}

// Whatever the journal fails on (a full disk), every change ends applied,
// failed or not sent, once: the summary adds up.
func TestSummaryAddsUpWhenTheJournalFails(t *testing.T) {
	s := loadSpec(t)
	var changes []plan.Change
	sc := script{}
	lands := map[string]bool{}
	for i := range 12 {
		for _, channel := range []string{"shop", "market", "outlet"} {
			sku := fmt.Sprintf("S%02d", i)
			c := change(channel, sku, "quantity", "10", fmt.Sprint(20+i))
			changes = append(changes, c)
			k := fmt.Sprintf("%s quantity %d", sku, 20+i)
			switch i % 4 {
			case 1:
				sc[k] = []error{timedOut}
				lands[k] = i%8 == 1
			case 2:
				sc[k] = []error{&adapters.TemporaryError{Message: "503"}}
			case 3:
				sc[k] = []error{&adapters.ThrottledError{Message: "429"}}
			}
		}
	}
	for failAt := 1; failAt <= 40; failAt++ {
		calls := 0
		j := &journal{fail: func() error {
			calls++
			if calls >= failAt {
				return errors.New("database or disk is full")
			}
			return nil
		}}
		targets := map[string]Target{}
		for _, name := range []string{"shop", "market", "outlet"} {
			ch := &fakeChannel{limits: adapters.Limits{BatchSize: 5}, script: sc, lands: lands}
			targets[name] = Target{Channel: ch, ChannelSKU: same}
		}
		var observers = map[string]*fakeChannel{}
		for name, tg := range targets {
			observers[name] = tg.Channel.(*fakeChannel)
		}
		rep, err := Apply(context.Background(), &plan.Plan{Changes: changes}, Options{
			Spec: s, Journal: j, RunID: 1, MaxAttempts: 3, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
			Targets: targets,
			Observe: func(ctx context.Context, channel string, skus []string) (map[string]*adapters.Listing, error) {
				return observers[channel].observe(ctx, channel, skus)
			},
		})
		if rep == nil {
			t.Fatalf("fail at %d: no report (%v)", failAt, err)
		}
		if calls >= failAt && err == nil {
			t.Errorf("fail at %d: the journal failed and Apply said nothing", failAt)
		}
		if got := rep.Applied + rep.Unneeded + len(rep.Failed); got != rep.Total || rep.Total != len(changes) {
			t.Errorf("fail at %d: %d applied + %d in place + %d failed = %d, total %d of %d changes: %s",
				failAt, rep.Applied, rep.Unneeded, len(rep.Failed), got, rep.Total, len(changes), rep.Summary())
		}
		seen := map[string]bool{}
		for _, f := range rep.Failed {
			k := f.Change.Channel + " " + f.Change.SKU
			if seen[k] {
				t.Errorf("fail at %d: %s failed twice", failAt, k)
			}
			seen[k] = true
		}
	}
}

// An order found by a compare-and-set conflict moved the stock: the pool's
// other channels derive that SKU's quantity again before they send it, and
// one sent before the order was seen is corrected within the apply.
func TestSiblingsRederivedAfterConflict(t *testing.T) {
	s := loadSpec(t)
	chans := map[string]*fakeChannel{
		// market goes first (push_order) and sends A=9 before shop finds
		// the order; outlet's increase (phase 3) waits until after.
		"market": {limits: adapters.Limits{BatchSize: 10}, state: map[string]map[string]string{"A": {"quantity": "10"}}},
		"shop": {limits: adapters.Limits{BatchSize: 10}, state: map[string]map[string]string{"A": {"quantity": "7"}},
			script: script{"A quantity 8": {&adapters.ConflictError{Current: v("7")}}}},
		"outlet": {limits: adapters.Limits{BatchSize: 10}, state: map[string]map[string]string{"A": {"quantity": "3"}, "B": {"quantity": "3"}}},
	}
	// After the order, the pool has less: A derives to 5 on shop and market, 4 on outlet.
	desired := map[string]string{"shop": "5", "market": "5", "outlet": "4"}
	targets := map[string]Target{}
	for name, ch := range chans {
		targets[name] = Target{Channel: ch, ChannelSKU: same}
	}
	var refreshed []string
	j := &journal{}
	rep, err := Apply(context.Background(), &plan.Plan{Changes: []plan.Change{
		change("market", "A", "quantity", "10", "9"),
		change("shop", "A", "quantity", "10", "8"),
		change("outlet", "A", "quantity", "3", "6"),
		change("outlet", "B", "quantity", "3", "6"),
	}}, Options{Spec: s, Journal: j, RunID: 1, MaxAttempts: 3, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
		Targets: targets,
		Refresh: func(ctx context.Context, channel string, skus []string) (map[string]Refreshed, error) {
			refreshed = append(refreshed, channel+" "+fmt.Sprint(skus))
			obs, _ := chans[channel].observe(ctx, channel, skus)
			out := map[string]Refreshed{}
			for sku, l := range obs {
				out[sku] = Refreshed{Observed: adapters.QuantityValue(l.Quantity), Desired: v(desired[channel])}
			}
			return out, nil
		},
		Siblings: func(channel string) []string {
			var out []string
			for _, c := range []string{"market", "outlet", "shop"} {
				if c != channel {
					out = append(out, c)
				}
			}
			return out
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		"market": {"A quantity 9", "A quantity 5"}, // sent, then corrected
		"shop":   {"A quantity 5"},                 // recomputed after its conflict
		"outlet": {"A quantity 4", "B quantity 6"}, // derived again before it was sent
	} {
		if got := chans[name].landed; !slices.Equal(got, want) {
			t.Errorf("%s: landed %q, want %q", name, got, want)
		}
	}
	if got, want := rep.Summary(), "applied 5 of 5 (1 re-derived and 1 corrected after orders during the apply)"; got != want {
		t.Errorf("summary %q, want %q (refreshed %q)", got, want, refreshed)
	}
}

// A change still throttled when its attempts run out is observed before it
// is called failed, and stays unknown in the journal when it cannot be.
func TestThrottledPastRetriesObserved(t *testing.T) {
	s := loadSpec(t)
	throttled := slices.Repeat([]error{&adapters.ThrottledError{Message: "429"}}, 5)
	for _, observable := range []bool{true, false} {
		ch := &fakeChannel{limits: adapters.Limits{BatchSize: 10}, script: script{"A quantity 9": throttled},
			state: map[string]map[string]string{"A": {"quantity": "5"}}}
		var observed []string
		j := &journal{}
		rep, err := Apply(context.Background(), &plan.Plan{Changes: []plan.Change{change("shop", "A", "quantity", "5", "9")}}, Options{
			Spec: s, Journal: j, RunID: 1, MaxAttempts: 2, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
			Targets: map[string]Target{"shop": {Channel: ch, ChannelSKU: same}},
			Observe: func(ctx context.Context, channel string, skus []string) (map[string]*adapters.Listing, error) {
				observed = append(observed, skus...)
				if !observable {
					return nil, errors.New("HTTP 503")
				}
				return ch.observe(ctx, channel, skus)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		want, unknown := "applied 0 of 1; 1 failed: 1 throttled past retries", 0
		if !observable {
			want, unknown = "applied 0 of 1; 1 failed: 1 with an unknown outcome, observed first by the next apply", 1
		}
		if got := rep.Summary(); got != want || len(j.unknown) != unknown || !slices.Equal(observed, []string{"A"}) {
			t.Errorf("observable %v: summary %q (want %q), %d unknown batches (want %d), observed %q", observable, got, want, len(j.unknown), unknown, observed)
		}
		if ch.tries["A quantity 9"] != 2 {
			t.Errorf("sent %d times, want 2", ch.tries["A quantity 9"])
		}
	}
}
