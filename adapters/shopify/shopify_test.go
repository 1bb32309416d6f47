package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/shopify/shopifytest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func listings(n int) []adapters.Listing {
	return adaptertest.Listings(adaptertest.Fixture{Channel: "shopify", Currency: "USD", Scale: 2}, n)
}

func observeAll(t *testing.T, ch *Channel) map[string]adapters.Listing {
	t.Helper()
	out := map[string]adapters.Listing{}
	if err := ch.Observe(context.Background(), nil, func(ls []adapters.Listing) error {
		for _, l := range ls {
			out[l.SKU] = l
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func money(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

// A sale that lands between observe and apply is never overwritten: the
// compare-and-set write fails with a conflict and the sale stands.
func TestSaleBetweenObserveAndApply(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(3))
	ch := f.open(t, "")
	seen := observeAll(t, ch)
	l := seen["AT-00002"]
	f.BeforeMutation(func() { f.Sell("AT-00002", 1) })
	rs := ch.Apply(context.Background(), []adapters.Change{
		{Key: l.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(l.Quantity), To: adapters.Units(9), Ref: l.Ref},
	})
	var conflict *adapters.ConflictError
	if !errors.As(rs[0].Err, &conflict) {
		t.Fatalf("a write after a sale: %v, want a *ConflictError", rs[0].Err)
	}
	if got := f.Available("AT-00002"); got != l.Quantity.Units-1 {
		t.Errorf("available %d after the sale and the refused write, want %d", got, l.Quantity.Units-1)
	}
	// The next plan observes again and converges.
	f.BeforeMutation(nil)
	again := observeAll(t, ch)["AT-00002"]
	rs = ch.Apply(context.Background(), []adapters.Change{
		{Key: l.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(again.Quantity), To: adapters.Units(9), Ref: again.Ref},
	})
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	if got := f.Available("AT-00002"); got != 9 {
		t.Errorf("available %d, want 9", got)
	}
}

// One batch of every kind of change goes as one request; the golden file
// holds the exact request.
func TestApplyGolden(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(4))
	ch := f.open(t, "")
	seen := observeAll(t, ch)
	ref := func(sku string) adapters.Ref { return seen[sku].Ref }
	key := func(sku string) adapters.Key { return adapters.Key{Channel: "shopify", SKU: sku} }
	newListing := listings(6)[5]
	newListing.SKU = "NEW-1"
	changes := []adapters.Change{
		{Key: key("AT-00000"), Kind: adapters.KindPrice, From: money("10.00"), To: money("12.50"), Ref: ref("AT-00000")},
		{Key: key("AT-00000"), Kind: adapters.KindCompareAt, To: money("15.00"), Ref: ref("AT-00000")},
		{Key: key("AT-00001"), Kind: adapters.KindQuantity, From: adapters.Units(1), To: adapters.Units(7), Ref: ref("AT-00001")},
		{Key: key("AT-00002"), Kind: adapters.KindField, Field: "title", To: adapters.Text("Renamed"), Ref: ref("AT-00002")},
		{Key: key("AT-00002"), Kind: adapters.KindField, Field: "description", To: adapters.Text("<p>New</p>"), Ref: ref("AT-00002")},
		{Key: key("AT-00003"), Kind: adapters.KindPrice, From: money("13.00"), To: money("-1.00"), Ref: ref("AT-00003")},
		{Key: key("AT-00003"), Kind: adapters.KindField, Field: "color", To: adapters.Text("red"), Ref: ref("AT-00003")},
		{Key: newListing.Key, Kind: adapters.KindCreate, Listing: &newListing},
	}
	before := len(f.Requests())
	rs := ch.Apply(context.Background(), changes)
	for i, r := range rs {
		var rej *adapters.RejectedError
		switch i {
		case 5, 6:
			if !errors.As(r.Err, &rej) {
				t.Errorf("change %d: %v, want a *RejectedError", i, r.Err)
			}
		default:
			if r.Err != nil {
				t.Errorf("change %d (%s): %v", i, changes[i].Name(), r.Err)
			}
		}
	}
	reqs := f.Requests()[before:]
	if len(reqs) != 1 {
		t.Fatalf("%d requests for one batch, want 1", len(reqs))
	}
	golden(t, "apply.json", reqs[0])
	after := observeAll(t, ch)
	if p := after["AT-00000"].Price.Decimal.StringFixed(2); p != "12.50" {
		t.Errorf("price %s", p)
	}
	if q := after["AT-00001"].Quantity.Units; q != 7 {
		t.Errorf("quantity %d", q)
	}
	renamed := after["AT-00002"]
	if title, _ := renamed.Field("title"); title != "Renamed" {
		t.Errorf("title %q", title)
	}
	if l, ok := after["NEW-1"]; !ok || l.Quantity.Units != newListing.Quantity.Units {
		t.Errorf("created listing: %+v", l)
	}
}

// golden compares v, as indented JSON, with testdata/golden/name.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// userErrors fail the changes their path names; the other variants of an
// all-or-nothing productVariantsBulkUpdate are not applied, and say so.
func TestUserErrorsPerChange(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(2))
	ch := f.open(t, "")
	// A second variant on the first product, so that one product update
	// carries two variants.
	f.MoveVariant("AT-00001", "AT-00000")
	v0, _ := f.Variant("AT-00000")
	seen := observeAll(t, ch)
	rs := ch.Apply(context.Background(), []adapters.Change{
		{Key: seen["AT-00000"].Key, Kind: adapters.KindPrice, To: money("20.00"), Ref: seen["AT-00000"].Ref},
		{Key: seen["AT-00001"].Key, Kind: adapters.KindCompareAt, To: money("1"), Ref: seen["AT-00001"].Ref},
	})
	if rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("valid changes: %v, %v", rs[0].Err, rs[1].Err)
	}
	// A bad ID makes the fake answer PRODUCT_VARIANT_DOES_NOT_EXIST for
	// that variant alone.
	bad := makeRef(v0.ProductID, "gid://shopify/ProductVariant/999999", v0.InventoryItemID, "AT-00000").String()
	rs = ch.Apply(context.Background(), []adapters.Change{
		{Key: seen["AT-00001"].Key, Kind: adapters.KindPrice, To: money("21.00"), Ref: seen["AT-00001"].Ref},
		{Key: seen["AT-00000"].Key, Kind: adapters.KindPrice, To: money("22.00"), Ref: adapters.Ref(bad)},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[1].Err, &rej) || !strings.Contains(rej.Reason, "PRODUCT_VARIANT_DOES_NOT_EXIST") {
		t.Errorf("the missing variant: %v, want a *RejectedError naming the code", rs[1].Err)
	}
	var tmp *adapters.TemporaryError
	if !errors.As(rs[0].Err, &tmp) {
		t.Errorf("the other variant of the refused update: %v, want a *TemporaryError (not applied)", rs[0].Err)
	}
	if p := observeAll(t, ch)["AT-00001"].Price.Decimal; !p.Equal(decimal.RequireFromString("20.00")) && !p.Equal(decimal.RequireFromString("11.00")) {
		t.Errorf("price %s: the refused all-or-nothing update landed", p)
	}
}

// Failures of the whole request: each is its documented error type in
// every result, never a panic, never a silent success.
func TestWholeRequestFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter)
		check func(err error) bool
	}{
		{"HTML error page", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>There was a problem loading this website</h1></body></html>"))
		}, func(err error) bool { var e *adapters.BadResponseError; return errors.As(err, &e) }},
		{"truncated JSON", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":{"productVariantsBulkUpdate":{"userErr`))
		}, func(err error) bool { var e *adapters.BadResponseError; return errors.As(err, &e) }},
		{"500", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
		}, func(err error) bool { var e *adapters.TemporaryError; return errors.As(err, &e) && e.Timeout }},
		{"429", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		}, func(err error) bool {
			var e *adapters.ThrottledError
			return errors.As(err, &e) && e.RetryAfter.Seconds() == 2
		}},
		{"401", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusUnauthorized)
		}, func(err error) bool { var e *adapters.AuthError; return errors.As(err, &e) }},
		{"ACCESS_DENIED (a scope missing)", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"errors":[{"message":"Access denied for productVariants field. Required access: ` + "`read_products`" + ` access scope.","extensions":{"code":"ACCESS_DENIED"}}]}`))
		}, func(err error) bool { var e *adapters.AuthError; return errors.As(err, &e) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeShop(t)
			f.Seed(listings(1))
			ch := f.open(t, "")
			l := observeAll(t, ch)["AT-00000"]
			f.SetFault(func(w http.ResponseWriter, op string) bool {
				if op != "Apply" {
					return false
				}
				tc.fault(w)
				return true
			})
			rs := ch.Apply(context.Background(), []adapters.Change{{Key: l.Key, Kind: adapters.KindPrice, To: money("30.00"), Ref: l.Ref}})
			if !tc.check(rs[0].Err) {
				t.Errorf("got %T %v", rs[0].Err, rs[0].Err)
			}
			if rs[0].Err != nil && strings.Contains(rs[0].Err.Error(), f.token) {
				t.Error("the error carries the token")
			}
			f.SetFault(func(w http.ResponseWriter, _ string) bool { tc.fault(w); return true })
			if err := ch.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil }); !tc.check(err) && tc.name != "500" {
				t.Errorf("observe: %T %v", err, err)
			}
		})
	}
}

// A top-level THROTTLED answer is a *ThrottledError with the time the
// bucket needs to hold the request's cost again.
func TestThrottled(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(1))
	ch := f.open(t, "")
	l := observeAll(t, ch)["AT-00000"]
	f.SetThrottle(2000, 0.001, 0)
	// The adapter's own pacing would wait for the points: let another app
	// have spent them behind its back.
	ch.c.mu.Lock()
	ch.c.known = false
	ch.c.mu.Unlock()
	ctx := context.Background()
	rs := ch.Apply(ctx, []adapters.Change{{Key: l.Key, Kind: adapters.KindPrice, To: money("30.00"), Ref: l.Ref}})
	var thr *adapters.ThrottledError
	if !errors.As(rs[0].Err, &thr) || thr.RetryAfter <= 0 {
		t.Fatalf("%v, want a *ThrottledError with a wait", rs[0].Err)
	}
	if st := ch.c.budget.Write.Stats(); st.Throttles != 1 {
		t.Errorf("the write budget was paused %d times, want 1", st.Throttles)
	}
}

// A filter reads the named SKUs alone, by search, in groups; SKUs with
// quotes and backslashes are escaped.
func TestSKUQuery(t *testing.T) {
	q := skuQuery([]string{"A-1", `B"2`, `C\3`})
	if q != `sku:"A-1" OR sku:"B\"2" OR sku:"C\\3"` {
		t.Errorf("query %s", q)
	}
	got, err := shopifytest.ParseSKUQuery(q)
	if err != nil || !cmp.Equal(got, []string{"A-1", `B"2`, `C\3`}) {
		t.Errorf("the fake reads %q back as %v, %v", q, got, err)
	}
}

// Several active locations and no location in the config: a clear error
// naming them.
func TestSeveralLocations(t *testing.T) {
	f := newFakeShop(t)
	f.AddLocation("gid://shopify/Location/2", "Shop floor")
	ch := f.open(t, "")
	err := ch.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var ce *adapters.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Warehouse (1)") || !strings.Contains(err.Error(), "Shop floor (2)") {
		t.Errorf("err = %v, want a *ConfigError naming both locations", err)
	}
	ch = f.open(t, `location = "2"`)
	if err := ch.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil }); err != nil {
		t.Errorf("with the location named: %v", err)
	}
}

// From api_version 2026-04 the compared quantity is changeFromQuantity and
// inventorySetQuantities carries an @idempotent key.
func TestVersion202604(t *testing.T) {
	f := newFakeShop(t)
	f.SetAPIVersion("2026-04", adminSchema202604(t))
	f.Seed(listings(2))
	ch := f.open(t, `api_version = "2026-04"`)
	seen := observeAll(t, ch)
	a, b := seen["AT-00000"], seen["AT-00001"]
	rs := ch.Apply(context.Background(), []adapters.Change{
		{Key: a.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(a.Quantity), To: adapters.Units(12), Ref: a.Ref},
		{Key: b.Key, Kind: adapters.KindQuantity, From: adapters.Units(b.Quantity.Units + 3), To: adapters.Units(12), Ref: b.Ref},
	})
	// Both went in one inventorySetQuantities: the stale one is the
	// conflict, and whether Shopify set the other is not known.
	var tmp *adapters.TemporaryError
	if !errors.As(rs[0].Err, &tmp) || !tmp.Timeout {
		t.Errorf("a fresh write beside a stale one: %v, want an unknown outcome", rs[0].Err)
	}
	var conflict *adapters.ConflictError
	if !errors.As(rs[1].Err, &conflict) {
		t.Errorf("a stale write: %v, want a *ConflictError from CHANGE_FROM_QUANTITY_STALE", rs[1].Err)
	}
	reqs := f.Requests()
	last := reqs[len(reqs)-1]
	if !strings.Contains(last.Query, "@idempotent(key: ") || strings.Contains(last.Query, "compareQuantity") {
		t.Errorf("document:\n%s", last.Query)
	}
	if f.Available("AT-00000") != a.Quantity.Units || f.Available("AT-00001") != b.Quantity.Units {
		t.Errorf("quantities %d and %d after the refused write", f.Available("AT-00000"), f.Available("AT-00001"))
	}
	// Read back (the fake is all or nothing) and sent again, it lands.
	rs = ch.Apply(context.Background(), []adapters.Change{
		{Key: a.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(a.Quantity), To: adapters.Units(12), Ref: a.Ref},
	})
	if rs[0].Err != nil || f.Available("AT-00000") != 12 {
		t.Errorf("the fresh write alone: %v, quantity %d", rs[0].Err, f.Available("AT-00000"))
	}
}

// The quantities of a batch go as one inventorySetQuantities, which costs
// one mutation; the same inventory item twice goes in a second one.
func TestQuantitiesOneMutation(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(3))
	ch := f.open(t, "")
	seen := observeAll(t, ch)
	var changes []adapters.Change
	for i, sku := range []string{"AT-00000", "AT-00001", "AT-00002"} {
		l := seen[sku]
		changes = append(changes, adapters.Change{Key: l.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(l.Quantity), To: adapters.Units(int64(20 + i)), Ref: l.Ref})
	}
	before := len(f.Requests())
	for i, r := range ch.Apply(context.Background(), changes) {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	reqs := f.Requests()[before:]
	if len(reqs) != 1 || strings.Count(reqs[0].Query, "inventorySetQuantities(") != 1 {
		t.Fatalf("%d requests, want one with one inventorySetQuantities", len(reqs))
	}
	for i, sku := range []string{"AT-00000", "AT-00001", "AT-00002"} {
		if got := f.Available(sku); got != int64(20+i) {
			t.Errorf("%s: %d, want %d", sku, got, 20+i)
		}
	}
	// The same item twice in one batch: two mutations, the second
	// compared with what the first set.
	l := seen["AT-00000"]
	rs := ch.Apply(context.Background(), []adapters.Change{
		{Key: l.Key, Kind: adapters.KindQuantity, From: adapters.Units(20), To: adapters.Units(30), Ref: l.Ref},
		{Key: l.Key, Kind: adapters.KindQuantity, From: adapters.Units(30), To: adapters.Units(31), Ref: l.Ref},
	})
	last := f.Requests()[len(f.Requests())-1]
	if n := strings.Count(last.Query, "inventorySetQuantities("); n != 2 {
		t.Errorf("%d inventorySetQuantities for one item twice, want 2:\n%s", n, last.Query)
	}
	if rs[0].Err != nil || rs[1].Err != nil || f.Available("AT-00000") != 31 {
		t.Errorf("one item twice: %v, %v, quantity %d", rs[0].Err, rs[1].Err, f.Available("AT-00000"))
	}
}

// A change for a SKU the store lacks, without a reference, is refused for
// that change alone.
func TestUnknownSKU(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(1))
	ch := f.open(t, "")
	rs := ch.Apply(context.Background(), []adapters.Change{
		{Key: adapters.Key{Channel: "shopify", SKU: "NOPE-1"}, Kind: adapters.KindPrice, To: money("9.00")},
		{Key: adapters.Key{Channel: "shopify", SKU: "AT-00000"}, Kind: adapters.KindPrice, To: money("9.00")},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "NOPE-1") {
		t.Errorf("unknown SKU: %v, want a *RejectedError naming it", rs[0].Err)
	}
	if rs[1].Err != nil {
		t.Errorf("a known SKU without a reference: %v", rs[1].Err)
	}
}

// A store over the bulk threshold is read with one bulk query and its
// JSONL result; a small one by pages. Both read the same listings.
func TestObserveAllBulk(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(250))
	ch := f.open(t, "")
	ch.pollEvery = time.Millisecond
	paged := observeAll(t, ch)
	ch.bulkOver = 100
	bulk := map[string]adapters.Listing{}
	before := len(f.Requests())
	pages := 0
	if err := ch.ObserveAll(context.Background(), func(ls []adapters.Listing) error {
		pages++
		if len(ls) > pageSize {
			t.Errorf("a page of %d", len(ls))
		}
		for _, l := range ls {
			bulk[l.SKU] = l
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(paged, bulk); d != "" {
		t.Errorf("bulk read differs from the paged one (-paged +bulk):\n%s", d)
	}
	var ops []string
	for _, r := range f.Requests()[before:] {
		ops = append(ops, r.Op)
	}
	if !slices.Contains(ops, "BulkRead") || slices.Contains(ops, "Variants") {
		t.Errorf("operations %v: want a bulk read and no pages", ops)
	}
	if pages != 3 {
		t.Errorf("%d pages for 250 listings", pages)
	}
	// A broken line is a clear error.
	f.AppendBulkResult([]byte("{\"id\":\"gid://shopify/ProductVariant/1\",\"sku\":\"X\",\"pri"))
	err := ch.pagesOfJSONL(context.Background(), strings.NewReader(string(f.BulkResult())), func([]adapters.Listing) error { return nil })
	var bad *adapters.BadResponseError
	if !errors.As(err, &bad) {
		t.Errorf("a truncated bulk line: %v, want a *BadResponseError", err)
	}
}

// The exact requests of a read: the location, then the pages, and a
// filtered read by search.
func TestObserveGolden(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(pageSize + 1))
	ch := f.open(t, "")
	observeAll(t, ch)
	if err := ch.Observe(context.Background(), []string{"AT-00003", `odd "sku"`}, func([]adapters.Listing) error { return nil }); err != nil {
		t.Fatal(err)
	}
	golden(t, "observe.json", f.Requests())
}

// The access token goes in the header and nowhere else: not in the logs,
// not in an error, not in a request body.
func TestTokenStaysInTheHeader(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(3))
	ch := f.open(t, "")
	var logs bytes.Buffer
	ch.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	seen := observeAll(t, ch)
	l := seen["AT-00001"]
	var errs []string
	for _, r := range ch.Apply(context.Background(), []adapters.Change{{Key: l.Key, Kind: adapters.KindPrice, To: money("5.00"), Ref: l.Ref}}) {
		if r.Err != nil {
			errs = append(errs, r.Err.Error())
		}
	}
	f.SetFault(func(w http.ResponseWriter, _ string) bool { w.WriteHeader(http.StatusUnauthorized); return true })
	if err := ch.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil }); err != nil {
		errs = append(errs, err.Error())
	}
	if logs.Len() == 0 {
		t.Error("nothing logged at debug level: the test checks nothing")
	}
	body, err := json.Marshal(f.Requests())
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"logs": logs.String(), "errors": strings.Join(errs, "\n"), "request bodies": string(body), "config": ch.cfg.String()} {
		if strings.Contains(s, f.token) {
			t.Errorf("the token is in the %s", what)
		}
	}
}

// What the shop says of its bucket is learned: writes may use all of it,
// reads half.
func TestLearnsTheBucket(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(1))
	f.SetThrottle(2000, 200, 2000)
	ch := f.open(t, "")
	observeAll(t, ch)
	if r := ch.c.budget.Read.Rate(); r.Limit != 100 || r.Burst != 1000 {
		t.Errorf("read budget %+v, want 100/s, burst 1000", r)
	}
	if r := ch.c.budget.Write.Rate(); r.Limit != 200 || r.Burst != 2000 {
		t.Errorf("write budget %+v, want 200/s, burst 2000", r)
	}
}

// Asked for many SKUs of a small store, the adapter reads the store once
// instead of searching for them in groups.
func TestManySKUsReadTheStore(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(250))
	ch := f.open(t, "")
	var skus []string
	for i := range 240 {
		skus = append(skus, listings(240)[i].SKU)
	}
	before := len(f.Requests())
	got := 0
	if err := ch.Observe(context.Background(), skus, func(ls []adapters.Listing) error {
		if len(ls) == 0 {
			t.Error("an empty page")
		}
		got += len(ls)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != 240 {
		t.Errorf("read %d listings of 240 asked", got)
	}
	for _, r := range f.Requests()[before:] {
		if _, ok := r.Variables["query"]; ok {
			t.Errorf("searched (%s) where reading the store's 3 pages costs less than 5 searches", r.Op)
			break
		}
	}
}

// A variant not stocked at the location has no quantity there: it is read
// as unmanaged, and a quantity write to it is refused, not sent blind.
func TestNotStockedAtLocation(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(1))
	f.Unstock("AT-00000")
	ch := f.open(t, "")
	l := observeAll(t, ch)["AT-00000"]
	if l.Quantity.Valid {
		t.Fatalf("quantity %v read where the variant has no level", l.Quantity)
	}
	before := len(f.Requests())
	r := ch.Apply(context.Background(), []adapters.Change{{Key: l.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(l.Quantity), To: adapters.Units(4), Ref: l.Ref}})[0]
	var rej *adapters.RejectedError
	if !errors.As(r.Err, &rej) || !strings.Contains(rej.Reason, "location 1") {
		t.Errorf("%v, want a *RejectedError naming the location", r.Err)
	}
	if n := len(f.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent for a refused write", n)
	}
}

// A THROTTLED body in a 429 answer: its cost extension is read, and
// without Retry-After the wait is the bucket's refill time.
func TestThrottled429WithCost(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(1))
	ch := f.open(t, "")
	l := observeAll(t, ch)["AT-00000"]
	f.SetFault(func(w http.ResponseWriter, op string) bool {
		if op != "Apply" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":0,"restoreRate":50.0}}}}`))
		return true
	})
	r := ch.Apply(context.Background(), []adapters.Change{{Key: l.Key, Kind: adapters.KindPrice, To: money("30.00"), Ref: l.Ref}})[0]
	var thr *adapters.ThrottledError
	if !errors.As(r.Err, &thr) || thr.RetryAfter != 200*time.Millisecond {
		t.Errorf("%v, want a *ThrottledError waiting 200ms (10 points at 50 a second)", r.Err)
	}
}

// A bulk read that cannot start (another runs) or ends FAILED is a
// TemporaryError, never a silent empty read.
func TestBulkFailures(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(20))
	ch := f.open(t, "")
	ch.pollEvery, ch.bulkOver = time.Millisecond, 10
	f.SetBulk(true, "")
	var tmp *adapters.TemporaryError
	err := ch.ObserveAll(context.Background(), func([]adapters.Listing) error { return nil })
	if !errors.As(err, &tmp) || !strings.Contains(err.Error(), "OPERATION_IN_PROGRESS") {
		t.Errorf("another bulk query running: %v, want a *TemporaryError", err)
	}
	f.SetBulk(false, "FAILED")
	pages := 0
	err = ch.ObserveAll(context.Background(), func([]adapters.Listing) error { pages++; return nil })
	if !errors.As(err, &tmp) || !strings.Contains(err.Error(), "FAILED") || pages != 0 {
		t.Errorf("a failed bulk query: %v after %d pages, want a *TemporaryError and no pages", err, pages)
	}
}

// A retired api_version is answered as a later one (Shopify "falls
// forward"): the adapter says so once, and writes quantities the way the
// served version wants them (changeFromQuantity and @idempotent from
// 2026-04), which the fake holds it to.
func TestFallForward(t *testing.T) {
	f := newFakeShop(t)
	f.SetAPIVersion("2026-04", adminSchema202604(t))
	f.FallForward("2025-04")
	f.Seed(listings(1))
	setup := setupOf(t, fmt.Sprintf("shop = \"northwind-audio\"\naccess_token = env(\"SHOPIFY_ACCESS_TOKEN\")\nendpoint = %q\n", f.URL()),
		map[string]string{"SHOPIFY_ACCESS_TOKEN": f.token})
	setup.HTTPClient = f.Client()
	var logged bytes.Buffer
	setup.Log = slog.New(slog.NewTextHandler(&logged, nil))
	ch, err := OpenChannel(setup)
	if err != nil {
		t.Fatal(err)
	}
	a := observeAll(t, ch)["AT-00000"]
	observeAll(t, ch)
	if n := strings.Count(logged.String(), "served=2026-04"); n != 1 || !strings.Contains(logged.String(), "api_version=2025-04") {
		t.Errorf("want one warning naming both versions, got:\n%s", logged.String())
	}
	rs := ch.Apply(context.Background(), []adapters.Change{
		{Key: a.Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(a.Quantity), To: adapters.Units(12), Ref: a.Ref},
	})
	if rs[0].Err != nil || f.Available("AT-00000") != 12 {
		t.Fatalf("a quantity write under the served version: %v, quantity %d", rs[0].Err, f.Available("AT-00000"))
	}
	last := f.Requests()[len(f.Requests())-1]
	if !strings.Contains(last.Query, "@idempotent(key: ") {
		t.Errorf("the write does not carry @idempotent:\n%s", last.Query)
	}
}
