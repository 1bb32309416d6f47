package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

const testSpec = `
channel "shop" {
  type = "sandbox"
}
channel "market" {
  type = "sandbox"
}
channel "outlet" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
listing {
  title      = product.title
  push_order = ["market", "shop"]
}
price_matrix "default" {
  anchor = "shop"
}
parity "fair" {
  channel      = "market"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}
`

func loadSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{
		"main.hcl":     {Data: []byte(testSpec)},
		"products.csv": {Data: []byte("sku,price,title\nA,10.00,Lamp\nB,20.00,Chair\n")},
	}, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s
}

func v(s string) adapters.Value {
	if s == "" {
		return adapters.Null
	}
	return adapters.Value{Text: s, Set: true}
}

func change(channel, sku, field, from, to string) plan.Change {
	c := plan.Change{Channel: channel, SKU: sku, Kind: adapters.KindOf(field), From: v(from), To: v(to), Reason: plan.ReasonSpec}
	if c.Kind == adapters.KindField {
		c.Field = field
	}
	return c
}

func TestOrder(t *testing.T) {
	s := loadSpec(t)
	p := &plan.Plan{Changes: []plan.Change{
		change("market", "A", "quantity", "5", "9"),
		change("market", "A", "price", "11.00", "10.50"), // a cut where parity holds: first
		change("market", "B", "price", "20.00", "22.00"), // a rise where parity holds: last
		change("market", "B", "compare_at", "", "25.00"), // goes with its price
		change("shop", "A", "quantity", "7", "2"),
		change("shop", "A", "price", "10.00", "9.00"),
		change("shop", "A", "title", "Lamp", "Desk lamp"),
		change("shop", "B", "price", "20.00", "21.00"), // the anchor rises before market
		change("shop", "B", "compare_at", "", "30.00"),
		change("outlet", "A", "quantity", "3", "1"),
		change("outlet", "A", "compare_at", "12.00", ""), // no price change: last
		{Channel: "outlet", SKU: "B", Kind: adapters.KindCreate, Reason: plan.ReasonSpec, Listing: &adapters.Listing{}},
	}}
	var got []string
	for i, ph := range Order(s, p) {
		for _, ch := range []string{"market", "outlet", "shop"} {
			for _, c := range ph.Changes[ch] {
				got = append(got, fmt.Sprintf("%d %s %s %s", i+1, ch, c.SKU, c.Name()))
			}
		}
	}
	want := []string{
		"1 market A price",
		"1 outlet A quantity",
		"1 shop A quantity",
		"2 shop A price",
		"2 shop B price",
		"2 shop B compare_at",
		"3 market A quantity",
		"3 market B price",
		"3 market B compare_at",
		"3 outlet A compare_at",
		"3 outlet B listing",
		"3 shop A title",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestLanes(t *testing.T) {
	s := loadSpec(t)
	cases := []struct {
		channels []string
		want     string
	}{
		{[]string{"shop", "outlet", "market"}, "[[market shop] [outlet]]"},
		{[]string{"outlet", "shop"}, "[[shop] [outlet]]"},
		{[]string{"outlet"}, "[[outlet]]"},
		{nil, "[]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(lanes(s, c.channels)); got != c.want {
			t.Errorf("lanes(%v) = %s, want %s", c.channels, got, c.want)
		}
	}
}

func TestSummary(t *testing.T) {
	fail := func(kind, reason string) Failure { return Failure{Kind: kind, Reason: reason} }
	cases := []struct {
		r    Report
		want string
	}{
		{Report{Total: 3, Applied: 3}, "applied 3 of 3"},
		{Report{Total: 4, Applied: 3, Unneeded: 1}, "applied 4 of 4 (1 already in place)"},
		{Report{Total: 1000, Applied: 812, Failed: append(append(
			slices.Repeat([]Failure{fail("throttled", "429")}, 150),
			slices.Repeat([]Failure{fail("rejected", "price below the channel's minimum")}, 30)...),
			slices.Repeat([]Failure{fail("rejected", "unknown SKU")}, 8)...)},
			"applied 812 of 1000; 188 failed: 150 throttled past retries, 38 rejected: price below the channel's minimum (30); unknown SKU (8)"},
		{Report{Total: 2, Failed: []Failure{fail("failed", "500"), fail("cancelled", "context canceled")}},
			"applied 0 of 2; 2 failed: 1 failed past retries, 1 not sent"},
	}
	for _, c := range cases {
		if got := c.r.Summary(); got != c.want {
			t.Errorf("Summary() = %q, want %q", got, c.want)
		}
	}
}

// script says how a fake channel answers each attempt at one change: the
// first attempt gets errs[0], and so on; past the end, it lands.
type script map[string][]error

// fakeChannel is a channel that answers from a script and records what
// landed.
type fakeChannel struct {
	limits adapters.Limits
	script script

	// lands are the changes ("SKU field to") whose scripted timeouts land
	// anyway, as real ones may.
	lands map[string]bool

	mu      sync.Mutex
	tries   map[string]int
	landed  []string
	batches []int
	// state is each listing's fields as landed: SKU -> field -> value.
	state map[string]map[string]string
}

// observe reads the fake's listings as Options.Observe does.
func (f *fakeChannel) observe(_ context.Context, _ string, skus []string) (map[string]*adapters.Listing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]*adapters.Listing{}
	for _, sku := range skus {
		st, ok := f.state[sku]
		if !ok {
			continue
		}
		l := &adapters.Listing{Key: adapters.Key{Channel: "shop", SKU: sku}}
		if q, ok := st["quantity"]; ok {
			n, _ := strconv.ParseInt(q, 10, 64)
			l.Quantity = adapters.Quantity{Units: n, Valid: true}
		}
		for k, v := range st {
			if k != "quantity" {
				l.Fields = append(l.Fields, adapters.Field{Name: k, Value: v})
			}
		}
		out[sku] = l
	}
	return out, nil
}

func (f *fakeChannel) land(c adapters.Change, k string) {
	f.landed = append(f.landed, k)
	if f.state == nil {
		f.state = map[string]map[string]string{}
	}
	if f.state[c.SKU] == nil {
		f.state[c.SKU] = map[string]string{}
	}
	if c.Kind == adapters.KindCreate && c.Listing != nil {
		if c.Listing.Quantity.Valid {
			f.state[c.SKU]["quantity"] = strconv.FormatInt(c.Listing.Quantity.Units, 10)
		}
		for _, fl := range c.Listing.Fields {
			f.state[c.SKU][fl.Name] = fl.Value
		}
		return
	}
	f.state[c.SKU][c.Name()] = c.To.Text
}

func (f *fakeChannel) Observe(context.Context, []string, func([]adapters.Listing) error) error {
	return nil
}

func (f *fakeChannel) Limits() adapters.Limits { return f.limits }

func (f *fakeChannel) Apply(_ context.Context, changes []adapters.Change) []adapters.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tries == nil {
		f.tries = map[string]int{}
	}
	f.batches = append(f.batches, len(changes))
	out := make([]adapters.Result, len(changes))
	for i, c := range changes {
		k := c.SKU + " " + c.Name() + " " + c.To.Text
		n := f.tries[k]
		f.tries[k]++
		if errs := f.script[k]; n < len(errs) {
			out[i].Err = errs[n]
			var tmp *adapters.TemporaryError
			if errors.As(errs[n], &tmp) && tmp.Timeout && f.lands[k] {
				f.land(c, k)
			}
			continue
		}
		f.land(c, k)
	}
	return out
}

// journal keeps batches in memory and checks they are completed once.
type journal struct {
	mu        sync.Mutex
	next      int64
	open      map[int64][]store.JournalChange
	unknown   map[int64][]store.JournalChange
	completed []string
	submitted []string
	// fail, when set, is asked before each batch is journaled, its
	// outcomes recorded or its unknown changes settled: a full disk.
	fail func() error
}

func (j *journal) JournalBatch(_ context.Context, _ int64, _ string, changes []store.JournalChange) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		if err := j.fail(); err != nil {
			return 0, err
		}
	}
	if j.open == nil {
		j.open = map[int64][]store.JournalChange{}
	}
	j.next++
	j.open[j.next] = changes
	return j.next, nil
}

func (j *journal) SubmitBatch(_ context.Context, id int64, sub string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.open[id]; !ok {
		return fmt.Errorf("batch %d submitted as %s but not pending", id, sub)
	}
	j.submitted = append(j.submitted, sub)
	return nil
}

func (j *journal) RecordOutcomes(_ context.Context, id int64, outcomes []store.Outcome) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		if err := j.fail(); err != nil {
			return err
		}
	}
	changes, ok := j.open[id]
	if !ok {
		return fmt.Errorf("batch %d completed twice or never journaled", id)
	}
	if len(outcomes) != len(changes) {
		return fmt.Errorf("batch %d: %d outcomes for %d changes", id, len(outcomes), len(changes))
	}
	delete(j.open, id)
	var unknown []store.JournalChange
	for i, o := range outcomes {
		switch o {
		case store.Landed:
			j.completed = append(j.completed, changes[i].SKU+" "+changes[i].Field+" "+changes[i].To.Text)
		case store.Unknown:
			unknown = append(unknown, changes[i])
		}
	}
	if len(unknown) > 0 {
		if j.unknown == nil {
			j.unknown = map[int64][]store.JournalChange{}
		}
		j.unknown[id] = unknown
	}
	return nil
}

func (j *journal) RecoverBatch(_ context.Context, id int64, landed []bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		if err := j.fail(); err != nil {
			return err
		}
	}
	changes, ok := j.unknown[id]
	if !ok {
		return fmt.Errorf("batch %d recovered but not unknown", id)
	}
	if len(landed) != len(changes) {
		return fmt.Errorf("batch %d: %d outcomes for %d changes", id, len(landed), len(changes))
	}
	delete(j.unknown, id)
	for i, ok := range landed {
		if ok {
			j.completed = append(j.completed, changes[i].SKU+" "+changes[i].Field+" "+changes[i].To.Text)
		}
	}
	return nil
}

func TestApplyRetriesAndFailures(t *testing.T) {
	s := loadSpec(t)
	var changes []plan.Change
	for i := range 7 {
		changes = append(changes, change("shop", fmt.Sprintf("S%d", i), "quantity", "10", fmt.Sprint(20+i)))
	}
	ch := &fakeChannel{
		limits: adapters.Limits{BatchSize: 3},
		script: script{
			"S0 quantity 20": {&adapters.ThrottledError{RetryAfter: time.Millisecond, Message: "429"}},
			"S1 quantity 21": {&adapters.TemporaryError{Message: "502"}, &adapters.TemporaryError{Message: "timeout", Timeout: true}},
			"S2 quantity 22": {&adapters.RejectedError{Reason: "quantity over the channel's maximum"}},
			"S3 quantity 23": slices.Repeat([]error{&adapters.ThrottledError{Message: "429"}}, 10),
			"S4 quantity 24": slices.Repeat([]error{&adapters.TemporaryError{Message: "503"}}, 10),
			"S5 quantity 25": {&adapters.ConflictError{Current: v("8")}},
			"S6 quantity 26": {&adapters.ConflictError{Current: v("26")}},
		},
	}
	var refreshed []string
	j := &journal{}
	settled := 0
	rep, err := Apply(context.Background(), &plan.Plan{Changes: changes}, Options{
		Spec: s, Journal: j, RunID: 1, MaxAttempts: 3, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
		Targets: map[string]Target{"shop": {Channel: ch, ChannelSKU: func(sku string) string { return sku }}},
		Refresh: func(_ context.Context, _ string, skus []string) (map[string]Refreshed, error) {
			refreshed = append(refreshed, skus...)
			return map[string]Refreshed{
				"S5": {Observed: v("8"), Desired: v("23")},  // sold 2 since: 25 becomes 23
				"S6": {Observed: v("26"), Desired: v("26")}, // a timed-out write that landed
			}, nil
		},
		Observe:  ch.observe,
		Progress: func(n int) { settled += n },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "applied 4 of 7 (1 already in place); 3 failed: 1 throttled past retries, 1 failed past retries, 1 rejected: quantity over the channel's maximum (1)"
	if got := rep.Summary(); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if settled != 7 {
		t.Errorf("progress told of %d changes settled, want 7", settled)
	}
	slices.Sort(ch.landed)
	if want := []string{"S0 quantity 20", "S1 quantity 21", "S5 quantity 23"}; !slices.Equal(ch.landed, want) {
		t.Errorf("landed on the channel %q, want %q", ch.landed, want)
	}
	// S1 timed out, was observed (not there) and sent again; S6 was found
	// in place after its conflict, and not sent again.
	slices.Sort(j.completed)
	if want := []string{"S0 quantity 20", "S1 quantity 21", "S5 quantity 23"}; !slices.Equal(j.completed, want) {
		t.Errorf("journaled as landed %q, want %q", j.completed, want)
	}
	if len(j.open) != 0 {
		t.Errorf("%d batches left open in the journal", len(j.open))
	}
	slices.Sort(refreshed)
	if want := []string{"S5", "S6"}; !slices.Equal(refreshed, want) {
		t.Errorf("observed again %q, want %q", refreshed, want)
	}
	for _, n := range ch.batches {
		if n > 3 {
			t.Errorf("a batch of %d changes; the channel takes 3", n)
		}
	}
}

// A context cancelled mid-apply ends it with the rest cancelled, and what
// was journaled is completed.
func TestApplyCancelled(t *testing.T) {
	s := loadSpec(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := &fakeChannel{
		limits: adapters.Limits{BatchSize: 1},
		script: script{"B quantity 2": slices.Repeat([]error{&adapters.TemporaryError{Message: "503"}}, 100)},
	}
	j := &journal{}
	var rep *Report
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		rep, err = Apply(ctx, &plan.Plan{Changes: []plan.Change{
			change("shop", "A", "quantity", "0", "1"), change("shop", "B", "quantity", "0", "2"),
		}}, Options{Spec: s, Journal: j, MaxAttempts: 100, InitialBackoff: time.Hour, MaxBackoff: time.Hour,
			Targets: map[string]Target{"shop": {Channel: ch, ChannelSKU: func(sku string) string { return sku }}},
			Progress: func(int) {
				ch.mu.Lock()
				defer ch.mu.Unlock()
				if len(ch.landed) == 1 {
					cancel() // A landed; B waits an hour to be retried
				}
			}})
	}()
	<-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply = %v, want context.Canceled", err)
	}
	if got, want := rep.Summary(), "applied 1 of 2; 1 failed: 1 not sent"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if len(j.open) != 0 {
		t.Errorf("%d batches left open in the journal", len(j.open))
	}
}
