// Package adaptertest is the conformance suite of the channel contract, in
// the spirit of testing/fstest's TestFS: every adapter runs Run in its own
// tests, against whatever stands in for its channel (the sandbox's file, a
// fake HTTP server that speaks the vendor's wire format), and so proves it
// keeps the promises the controller relies on:
//
//   - Observe hands over every listing once, in pages no larger than
//     Limits().PageSize, each listing's fields sorted by name; a SKU filter
//     reads those SKUs alone and leaves out the ones the channel lacks; an
//     empty filter reads everything; cancelling the context mid-read stops
//     it with the context's error, and an error from the page callback is
//     returned as it is;
//   - Apply answers exactly one Result per change, in order, failing the
//     ones it refuses alone with a *adapters.RejectedError; what it took is
//     what the next Observe shows; a cancelled context fails every change;
//   - the adapter's reference (adapters.Ref) survives the round trip from
//     Observe to Apply;
//   - the optional capabilities do what they say: a QuantityCAS refuses a
//     quantity write whose expected quantity moved with a
//     *adapters.ConflictError and leaves the quantity alone; a Creator
//     creates; a Confirmer's submission is confirmed by a new adapter after
//     a restart, with the same answer every time, and never written twice;
//     a Watcher reports an order placed on the channel from outside (the
//     fixture's Order) and returns the context's error when it ends.
//
// Beside the suite are what the adapters' own config tests share: Setup, a
// channel's setup from a config block with env() reading a map, and
// ConfigError and MissingVariables, what a decoder must answer a bad block.
package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// Harness is how the suite drives one adapter.
type Harness struct {
	// New makes a fresh channel holding nothing.
	New func(t *testing.T) Fixture
	// Kind is the adapter's kind, whose Profile the suite holds to what the
	// adapter does.
	Kind adapters.Kind
}

// Fixture is one channel for the suite.
type Fixture struct {
	// Channel is the channel's name in the spec, Currency its currency and
	// Scale its minor-unit places.
	Channel  string
	Currency string
	Scale    int32
	// Open opens an adapter on the channel. Called again, it opens a new
	// adapter on the same channel, as a restarted process would; the suite
	// closes the adapters it opens.
	Open func(t *testing.T) adapters.Channel
	// Seed puts listings on the channel (listings fields sorted), through
	// the channel's own means: a fixture file, the fake server's store, or
	// the adapter itself when it is a Creator. Nil: the suite seeds through
	// Apply with KindCreate changes, which requires a Creator.
	Seed func(t *testing.T, listings []adapters.Listing)
	// Catalog readies the channel to create l, for an adapter that creates
	// only the listings whose product it can find (an
	// adapters.SelectiveCreator, Amazon by ASIN): it sets l.Identifiers as
	// the catalog would and puts the product they name on the fake. Nil:
	// the adapter creates any listing.
	Catalog func(t *testing.T, l *adapters.Listing)
	// Order places a customer's order of units of sku (the channel's SKU)
	// on the channel from outside the adapter under test, as the channel
	// would see one: the fake server's order and its webhook, another
	// process's `accord sandbox sell`. Required when the adapter is an
	// adapters.Watcher: the suite has no other way to cause an event.
	Order func(t *testing.T, sku string, units int64)
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("Observe", func(t *testing.T) { testObserve(t, h) })
	t.Run("ObserveFilter", func(t *testing.T) { testFilter(t, h) })
	t.Run("ObserveCancelled", func(t *testing.T) { testObserveCancelled(t, h) })
	t.Run("Apply", func(t *testing.T) { testApply(t, h) })
	t.Run("ApplyCancelled", func(t *testing.T) { testApplyCancelled(t, h) })
	t.Run("Ref", func(t *testing.T) { testRef(t, h) })
	t.Run("CompareAndSet", func(t *testing.T) { testCAS(t, h) })
	t.Run("Profile", func(t *testing.T) { testProfile(t, h) })
	t.Run("Create", func(t *testing.T) { testCreate(t, h) })
	t.Run("ConfirmAfterRestart", func(t *testing.T) { testConfirm(t, h) })
	t.Run("Watch", func(t *testing.T) { testWatch(t, h) })
}

// SKU is the i-th SKU the suite seeds.
func SKU(i int) string { return fmt.Sprintf("AT-%05d", i) }

// Listings returns n listings of the fixture's channel: SKU(i), quantity
// i%7, price 10.00+i, a title and a gtin.
func Listings(f Fixture, n int) []adapters.Listing {
	out := make([]adapters.Listing, n)
	for i := range out {
		out[i] = adapters.Listing{
			Key:      adapters.Key{Channel: f.Channel, SKU: SKU(i)},
			Quantity: adapters.Quantity{Units: int64(i % 7), Valid: true},
			Price:    decimal.NullDecimal{Decimal: decimal.New(1000+int64(i)*100, -2), Valid: true},
			Currency: f.Currency,
			Fields:   []adapters.Field{{Name: "gtin", Value: fmt.Sprintf("0400638%07d", i)}, {Name: "title", Value: "Conformance item " + SKU(i)}},
		}
	}
	return out
}

// setup makes a fresh channel with n listings and an adapter on it.
func setup(t *testing.T, h Harness, n int) (Fixture, adapters.Channel, []adapters.Listing) {
	t.Helper()
	f := h.New(t)
	ls := Listings(f, n)
	ch := open(t, f)
	if n > 0 {
		if f.Seed != nil {
			f.Seed(t, ls)
		} else {
			seedByCreating(t, ch, ls)
		}
	}
	return f, ch, ls
}

// open opens an adapter and closes it when the test ends.
func open(t *testing.T, f Fixture) adapters.Channel {
	t.Helper()
	ch := f.Open(t)
	if ch == nil {
		t.Fatal("Open returned no adapter")
	}
	if cl, ok := ch.(adapters.Closer); ok {
		t.Cleanup(func() {
			if err := cl.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	return ch
}

func seedByCreating(t *testing.T, ch adapters.Channel, ls []adapters.Listing) {
	t.Helper()
	if _, ok := ch.(adapters.Creator); !ok {
		t.Fatal("the fixture has no Seed and the adapter is not a Creator: the suite cannot put listings on the channel")
	}
	changes := make([]adapters.Change, len(ls))
	for i := range ls {
		l := ls[i]
		changes[i] = adapters.Change{Key: l.Key, Kind: adapters.KindCreate, Listing: &l}
	}
	for _, r := range apply(t, ch, changes) {
		if r.Err != nil {
			t.Fatalf("seeding: %v", r.Err)
		}
	}
}

// apply sends changes in batches of the adapter's size, confirming
// submissions, and returns one settled Result per change.
func apply(t *testing.T, ch adapters.Channel, changes []adapters.Change) []adapters.Result {
	t.Helper()
	ctx := context.Background()
	size := max(ch.Limits().BatchSize, 1)
	var out []adapters.Result
	for start := 0; start < len(changes); start += size {
		batch := changes[start:min(start+size, len(changes))]
		rs := ch.Apply(ctx, batch)
		if len(rs) != len(batch) {
			t.Fatalf("Apply answered %d results for %d changes", len(rs), len(batch))
		}
		out = append(out, settle(t, ch, batch, rs)...)
	}
	return out
}

// settle confirms the submissions among rs until none is pending.
func settle(t *testing.T, ch adapters.Channel, batch []adapters.Change, rs []adapters.Result) []adapters.Result {
	t.Helper()
	sub := ""
	var idx []int
	for i, r := range rs {
		if r.Submission != "" {
			if r.Err != nil {
				t.Errorf("result %d carries both a submission and an error: %v", i, r.Err)
			}
			if sub != "" && r.Submission != sub {
				t.Fatalf("one batch answered two submissions, %s and %s", sub, r.Submission)
			}
			sub = r.Submission
			idx = append(idx, i)
		}
	}
	if sub == "" {
		return rs
	}
	conf, ok := ch.(adapters.Confirmer)
	if !ok {
		t.Fatalf("Apply answered submission %s but the adapter is not a Confirmer", sub)
	}
	queued := make([]adapters.Change, len(idx))
	for k, i := range idx {
		queued[k] = batch[i]
	}
	for attempt := 0; ; attempt++ {
		got, err := conf.Confirm(context.Background(), sub, queued)
		if err != nil {
			t.Fatalf("Confirm(%s): %v", sub, err)
		}
		if len(got) != len(queued) {
			t.Fatalf("Confirm(%s) answered %d results for %d changes", sub, len(got), len(queued))
		}
		pending := false
		for _, r := range got {
			pending = pending || r.Submission != ""
		}
		if !pending {
			out := slices.Clone(rs)
			for k, i := range idx {
				out[i] = got[k]
			}
			return out
		}
		if attempt > 1000 {
			t.Fatalf("submission %s still processing after %d asks", sub, attempt)
		}
	}
}

// observe reads the channel and checks the contract's promises about pages.
func observe(t *testing.T, ch adapters.Channel, skus []string) map[string]adapters.Listing {
	t.Helper()
	out := map[string]adapters.Listing{}
	limit := ch.Limits().PageSize
	err := ch.Observe(context.Background(), skus, func(page []adapters.Listing) error {
		if len(page) == 0 {
			t.Error("Observe handed over an empty page")
		}
		if len(page) > limit {
			t.Errorf("a page of %d listings, over the page size %d", len(page), limit)
		}
		for _, l := range page {
			if _, dup := out[l.SKU]; dup {
				t.Errorf("%s was handed over twice", l.SKU)
			}
			if !slices.IsSortedFunc(l.Fields, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) }) {
				t.Errorf("%s: fields not sorted by name: %v", l.SKU, l.Fields)
			}
			// Keep the listing, not the page: the adapter may reuse it.
			l.Fields = slices.Clone(l.Fields)
			out[l.SKU] = l
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Observe(%v): %v", skus, err)
	}
	return out
}

// same reports how a listing observed differs from what was put there.
func same(f Fixture, got, want adapters.Listing) string {
	var diffs []string
	if got.Quantity != want.Quantity {
		diffs = append(diffs, fmt.Sprintf("quantity %v, want %v", got.Quantity, want.Quantity))
	}
	if g, w := adapters.Money(got.Price, f.Scale), adapters.Money(want.Price, f.Scale); g != w {
		diffs = append(diffs, fmt.Sprintf("price %s, want %s", g, w))
	}
	for _, fl := range want.Fields {
		if v, ok := got.Field(fl.Name); !ok || adapters.NormalizeText(v) != adapters.NormalizeText(fl.Value) {
			diffs = append(diffs, fmt.Sprintf("%s %q, want %q", fl.Name, v, fl.Value))
		}
	}
	return strings.Join(diffs, "; ")
}

// pageSized is how many listings the read tests seed: over two pages when
// the adapter's pages are small enough to fill in a test.
func pageSized(ch adapters.Channel) int {
	if ps := ch.Limits().PageSize; ps > 0 && ps <= 500 {
		return 2*ps + 3
	}
	return 25
}

func testObserve(t *testing.T, h Harness) {
	f := h.New(t)
	ch := open(t, f)
	if lim := ch.Limits(); lim.BatchSize < 1 || lim.PageSize < 1 {
		t.Fatalf("Limits %+v: batch and page sizes are at least 1", lim)
	}
	if got := observe(t, ch, nil); len(got) != 0 {
		t.Errorf("an empty channel lists %d listings", len(got))
	}
	ls := Listings(f, pageSized(ch))
	if f.Seed != nil {
		f.Seed(t, ls)
	} else {
		seedByCreating(t, ch, ls)
	}
	got := observe(t, ch, nil)
	if len(got) != len(ls) {
		t.Fatalf("observed %d listings, seeded %d", len(got), len(ls))
	}
	for _, want := range ls {
		if d := same(f, got[want.SKU], want); d != "" {
			t.Errorf("%s: %s", want.SKU, d)
		}
	}
}

func testFilter(t *testing.T, h Harness) {
	_, ch, ls := setup(t, h, 12)
	want := []string{ls[3].SKU, ls[7].SKU, "AT-NOT-LISTED"}
	got := observe(t, ch, want)
	if len(got) != 2 {
		t.Errorf("a filter of 2 listed SKUs and 1 missing read %d listings: %v", len(got), keys(got))
	}
	for _, sku := range want[:2] {
		if _, ok := got[sku]; !ok {
			t.Errorf("%s, asked for, was not read", sku)
		}
	}
	if all := observe(t, ch, []string{}); len(all) != len(ls) {
		t.Errorf("an empty filter read %d listings, want every one (%d)", len(all), len(ls))
	}
}

func keys(m map[string]adapters.Listing) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func testObserveCancelled(t *testing.T, h Harness) {
	_, ch, _ := setup(t, h, 5)
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	err := ch.Observe(ctx, nil, func([]adapters.Listing) error {
		pages++
		cancel()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Observe cancelled from its first page = %v, want context.Canceled", err)
	}
	if pages != 1 {
		t.Errorf("Observe handed over %d pages after being cancelled on the first", pages)
	}
	stop := errors.New("stop here")
	if err := ch.Observe(context.Background(), nil, func([]adapters.Listing) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("an error from page: Observe = %v, want it returned", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := ch.Observe(ctx, nil, func([]adapters.Listing) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Observe with a cancelled context = %v, want context.Canceled", err)
	}
}

func testApply(t *testing.T, h Harness) {
	f, ch, ls := setup(t, h, 6)
	key := func(i int) adapters.Key { return ls[i].Key }
	changes := []adapters.Change{
		{Key: key(0), Kind: adapters.KindQuantity, From: adapters.QuantityValue(ls[0].Quantity), To: adapters.Units(40)},
		{Key: key(1), Kind: adapters.KindPrice, From: adapters.Money(ls[1].Price, f.Scale), To: adapters.Money(decimal.NullDecimal{Decimal: decimal.New(2599, -2), Valid: true}, f.Scale)},
		{Key: key(2), Kind: adapters.KindQuantity, From: adapters.QuantityValue(ls[2].Quantity), To: adapters.Value{Text: "-3", Set: true}},
		{Key: key(3), Kind: adapters.KindField, Field: "title", From: adapters.Text(ls[3].Fields[1].Value), To: adapters.Text("Renamed by the suite")},
		{Key: key(4), Kind: adapters.KindCompareAt, To: adapters.Money(decimal.NullDecimal{Decimal: decimal.New(9900, -2), Valid: true}, f.Scale)},
	}
	rs := apply(t, ch, changes)
	for i, r := range rs {
		var rej *adapters.RejectedError
		switch {
		case i == 2 && !errors.As(r.Err, &rej):
			t.Errorf("a quantity of -3: %v, want a *RejectedError for it alone", r.Err)
		case i != 2 && r.Err != nil:
			t.Errorf("change %d (%s %s): %v", i, changes[i].SKU, changes[i].Name(), r.Err)
		}
	}
	got := observe(t, ch, nil)
	checks := []struct {
		sku, name, want string
		value           adapters.Value
	}{
		{ls[0].SKU, "quantity", "40", adapters.QuantityValue(got[ls[0].SKU].Quantity)},
		{ls[1].SKU, "price", changes[1].To.Text, adapters.Money(got[ls[1].SKU].Price, f.Scale)},
		{ls[2].SKU, "quantity (refused)", adapters.QuantityValue(ls[2].Quantity).Text, adapters.QuantityValue(got[ls[2].SKU].Quantity)},
		{ls[4].SKU, "compare_at", changes[4].To.Text, adapters.Money(got[ls[4].SKU].CompareAt, f.Scale)},
	}
	for _, c := range checks {
		if c.value.Text != c.want {
			t.Errorf("%s %s observed %s after apply, want %s", c.sku, c.name, c.value, c.want)
		}
	}
	renamed := got[ls[3].SKU]
	if title, _ := renamed.Field("title"); title != "Renamed by the suite" {
		t.Errorf("title observed %q after apply", title)
	}
	if d := same(f, got[ls[5].SKU], ls[5]); d != "" {
		t.Errorf("a listing no change named moved: %s", d)
	}
}

func testApplyCancelled(t *testing.T, h Harness) {
	f, ch, ls := setup(t, h, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	changes := []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(ls[0].Quantity), To: adapters.Units(33)},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(ls[1].Quantity), To: adapters.Units(34)},
	}
	rs := ch.Apply(ctx, changes)
	if len(rs) != len(changes) {
		t.Fatalf("Apply answered %d results for %d changes", len(rs), len(changes))
	}
	for i, r := range rs {
		if r.Err == nil || r.Submission != "" {
			t.Errorf("change %d went through a cancelled context: %+v", i, r)
		}
	}
	got := observe(t, ch, nil)
	for i := range ls {
		if d := same(f, got[ls[i].SKU], ls[i]); d != "" {
			t.Errorf("a cancelled apply wrote %s: %s", ls[i].SKU, d)
		}
	}
}

func testRef(t *testing.T, h Harness) {
	f, ch, ls := setup(t, h, 3)
	got := observe(t, ch, nil)
	ref := got[ls[1].SKU].Ref
	change := adapters.Change{Key: ls[1].Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(got[ls[1].SKU].Quantity), To: adapters.Units(21), Ref: ref}
	if r := apply(t, ch, []adapters.Change{change})[0]; r.Err != nil {
		t.Fatalf("a change carrying the reference observed (%q): %v", ref, r.Err)
	}
	again := observe(t, ch, []string{ls[1].SKU})[ls[1].SKU]
	if again.Ref != ref {
		t.Errorf("the reference moved from %q to %q on a quantity write", ref, again.Ref)
	}
	if again.Quantity.Units != 21 {
		t.Errorf("quantity %v after a write by reference", again.Quantity)
	}
	if ref == "" {
		return // the adapter keeps no references: nothing more to check
	}
	other := got[ls[2].SKU].Ref
	if other == ref {
		t.Errorf("two listings share the reference %q", ref)
	}
	// The reference of another listing is refused: a write never lands on
	// the wrong listing.
	wrong := adapters.Change{Key: ls[1].Key, Kind: adapters.KindPrice, From: adapters.Money(again.Price, f.Scale), To: adapters.Value{Text: "77.00", Set: true}, Ref: other}
	var rej *adapters.RejectedError
	if r := apply(t, ch, []adapters.Change{wrong})[0]; !errors.As(r.Err, &rej) {
		t.Errorf("a change carrying another listing's reference: %v, want a *RejectedError", r.Err)
	}
}

func testCAS(t *testing.T, h Harness) {
	_, ch, ls := setup(t, h, 1)
	if _, ok := ch.(adapters.QuantityCAS); !ok {
		t.Skip("the adapter does not compare-and-set quantities")
	}
	moved := adapters.Units(ls[0].Quantity.Units + 1) // not what the channel holds
	r := apply(t, ch, []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, From: moved, To: adapters.Units(99)}})[0]
	var conf *adapters.ConflictError
	if !errors.As(r.Err, &conf) {
		t.Fatalf("a quantity write expecting %s where the channel holds %d: %v, want a *ConflictError", moved, ls[0].Quantity.Units, r.Err)
	}
	if conf.Current.Set && conf.Current != adapters.QuantityValue(ls[0].Quantity) {
		t.Errorf("the conflict says the quantity is %s, it is %d", conf.Current, ls[0].Quantity.Units)
	}
	if got := observe(t, ch, nil)[ls[0].SKU].Quantity; got != ls[0].Quantity {
		t.Errorf("the refused write changed the quantity to %v", got)
	}
}

// testProfile holds the kind's Profile to the adapter: what the report
// says of compare-and-set quantity writes is what the adapter does.
func testProfile(t *testing.T, h Harness) {
	if h.Kind.Name == "" {
		t.Fatal("the harness names no Kind: the report could say anything of this adapter")
	}
	_, ch, _ := setup(t, h, 0)
	_, cas := ch.(adapters.QuantityCAS)
	if h.Kind.Profile.ComparesQuantities != cas {
		t.Errorf("Kind.Profile.ComparesQuantities is %v, but the adapter is a QuantityCAS: %v", h.Kind.Profile.ComparesQuantities, cas)
	}
	if h.Kind.Profile.Marketplace == "" || h.Kind.Profile.PricingPolicy == "" {
		t.Error("the Profile names no marketplace or says nothing of its pricing policy")
	}
}

func testCreate(t *testing.T, h Harness) {
	f, ch, _ := setup(t, h, 0)
	if _, ok := ch.(adapters.Creator); !ok {
		t.Skip("the adapter does not create listings")
	}
	ls := Listings(f, 3)
	sc, selective := ch.(adapters.SelectiveCreator)
	if selective {
		// The last listing is left without what the adapter needs: it
		// says why it cannot create it, and refuses it when sent anyway.
		for i := range ls[:2] {
			if f.Catalog != nil {
				f.Catalog(t, &ls[i])
			}
			if why := sc.CannotCreate(&ls[i]); why != "" {
				t.Fatalf("CannotCreate %s after Catalog: %s", ls[i].SKU, why)
			}
		}
		odd := ls[2]
		if sc.CannotCreate(&odd) == "" {
			t.Fatalf("CannotCreate %s without identifiers says it can create it", odd.SKU)
		}
		rs := apply(t, ch, []adapters.Change{{Key: odd.Key, Kind: adapters.KindCreate, Listing: &odd}})
		var rej *adapters.RejectedError
		if !errors.As(rs[0].Err, &rej) {
			t.Errorf("creating %s, which CannotCreate refuses: %v, want a rejection", odd.SKU, rs[0].Err)
		}
	}
	seedByCreating(t, ch, ls[:2])
	got := observe(t, ch, nil)
	for _, l := range ls[:2] {
		if d := same(f, got[l.SKU], l); d != "" {
			t.Errorf("created %s: %s", l.SKU, d)
		}
	}
	if _, ok := got[ls[2].SKU]; ok && selective {
		t.Errorf("%s was created although the adapter refused it", ls[2].SKU)
	}
}

func testConfirm(t *testing.T, h Harness) {
	f, ch, ls := setup(t, h, 3)
	if _, ok := ch.(adapters.Confirmer); !ok {
		t.Skip("the adapter answers every apply at once")
	}
	changes := []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(ls[0].Quantity), To: adapters.Units(11)},
		{Key: ls[1].Key, Kind: adapters.KindPrice, From: adapters.Money(ls[1].Price, f.Scale), To: adapters.Value{Text: "31.00", Set: true}},
	}
	rs := ch.Apply(context.Background(), changes)
	sub := ""
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("Apply: %v", r.Err)
		}
		sub = r.Submission
	}
	if sub == "" {
		t.Skip("the adapter answered this batch at once")
	}
	// The process that submitted is gone; a new adapter asks for the
	// outcome, with the changes as its journal rebuilds them.
	restarted := open(t, f)
	first := settle(t, restarted, changes, rs)
	for i, r := range first {
		if r.Err != nil {
			t.Errorf("change %d of %s: %v", i, sub, r.Err)
		}
	}
	again, err := restarted.(adapters.Confirmer).Confirm(context.Background(), sub, changes)
	if err != nil {
		t.Fatalf("asking again about %s: %v", sub, err)
	}
	for i := range again {
		if (again[i].Err == nil) != (first[i].Err == nil) || again[i].Submission != "" {
			t.Errorf("asked again, change %d of %s answers %+v, first %+v", i, sub, again[i], first[i])
		}
	}
	got := observe(t, restarted, nil)
	if q := got[ls[0].SKU].Quantity.Units; q != 11 {
		t.Errorf("quantity %d after the submission was confirmed, want 11", q)
	}
	if p := adapters.Money(got[ls[1].SKU].Price, f.Scale).Text; p != "31.00" {
		t.Errorf("price %s after the submission was confirmed, want 31.00", p)
	}
}

func testWatch(t *testing.T, h Harness) {
	f, ch, ls := setup(t, h, 7)
	w, ok := ch.(adapters.Watcher)
	if !ok {
		t.Skip("the adapter does not watch for channel events")
	}
	if f.Order == nil {
		t.Fatal("the adapter is a Watcher but the fixture has no Order: the suite cannot cause an event to watch for")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan adapters.Event, 64)
	done := make(chan error, 1)
	go func() {
		done <- w.Watch(ctx, func(e adapters.Event) {
			select {
			case events <- e:
			case <-ctx.Done():
			}
		})
	}()
	// Watch reports what happens once it has begun, and nothing tells
	// when that is: an order placed before may go unreported. Order one
	// unit at a time until one is reported (the listing shows 6), waiting
	// generously for each; the suite holds what is reported, not how soon.
	l := ls[6]
	var got adapters.Event
	for tries, reported := 1, false; !reported; tries++ {
		if tries > int(l.Quantity.Units) {
			t.Fatalf("%d orders of %s placed, none reported", tries-1, l.SKU)
		}
		f.Order(t, l.SKU, 1)
		select {
		case got = <-events:
			reported = true
		case err := <-done:
			t.Fatalf("Watch returned %v before its context ended", err)
		case <-time.After(5 * time.Second):
		}
	}
	// The ID is the channel's own (an order number), when it gives one.
	want := adapters.Event{Channel: f.Channel, SKU: l.SKU, Kind: adapters.EventOrder, Units: 1, At: got.At, ID: got.ID}
	if got != want || got.At.IsZero() {
		t.Errorf("an order of 1 %s reported as %+v, want %+v with the time it was placed", l.SKU, got, want)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch after its context was cancelled = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("Watch still running 30s after its context was cancelled")
	}
}
