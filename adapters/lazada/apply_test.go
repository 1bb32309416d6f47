package lazada

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

// Part of a batch refused: the SKU the detail names is rejected, the
// others' outcome is unknown (Lazada does not say the batch is all or
// nothing) and they did land on the fake.
func TestPartialFailure(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	f.RejectSKU(ls[1].SKU, "negative sellable on channel inventory")
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(9)},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(8)},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: money("31.00")},
		{Key: ls[2].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("Kept")},
	})
	var rej *adapters.RejectedError
	var tmp *adapters.TemporaryError
	if !errors.As(rs[0].Err, &tmp) || !tmp.Timeout {
		t.Errorf("the SKU not named: %v, want an unknown outcome", rs[0].Err)
	}
	for _, i := range []int{1, 2} {
		if !errors.As(rs[i].Err, &rej) || !strings.Contains(rej.Reason, "negative sellable") {
			t.Errorf("change %d of the refused SKU: %v", i, rs[i].Err)
		}
	}
	if rs[3].Err != nil {
		t.Errorf("the title, sent apart: %v", rs[3].Err)
	}
	got := adaptertest.ObserveAll(t, c, nil)
	if got[ls[0].SKU].Quantity.Units != 9 || got[ls[1].SKU].Quantity != ls[1].Quantity {
		t.Errorf("after a partial failure: %v, %v", got[ls[0].SKU].Quantity, got[ls[1].SKU].Quantity)
	}
}

func TestComparePrices(t *testing.T) {
	f, c, ls := seeded(t, 4, "")
	// 0: a compare-at above the price; 1: then the price alone moves; 2: a
	// price alone; 3: a compare-at under the price is no special price.
	step := func(changes ...adapters.Change) map[string]adapters.Listing {
		t.Helper()
		for i, r := range c.Apply(context.Background(), changes) {
			if r.Err != nil {
				t.Fatalf("change %d: %v", i, r.Err)
			}
		}
		return adaptertest.ObserveAll(t, c, nil)
	}
	got := step(
		adapters.Change{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: money("50.00")},
		adapters.Change{Key: ls[2].Key, Kind: adapters.KindPrice, To: money("20.00")},
		adapters.Change{Key: ls[3].Key, Kind: adapters.KindCompareAt, To: money("5.00")},
	)
	want := func(sku, price, compare string) {
		t.Helper()
		l := got[sku]
		if p, ca := adapters.Money(l.Price, 2).Text, adapters.Money(l.CompareAt, 2).Text; p != price || ca != compare {
			t.Errorf("%s: price %q compare-at %q, want %q %q", sku, p, ca, price, compare)
		}
	}
	want(ls[0].SKU, "10.00", "50.00")
	want(ls[2].SKU, "20.00", "")
	want(ls[3].SKU, "13.00", "")
	if _, s, _ := f.Listing(ls[0].SKU); !s.Price.Equal(decimal.RequireFromString("50")) || !s.SpecialPrice.Valid || s.SpecialTo.Before(testNow.AddDate(4, 0, 0)) {
		t.Errorf("on Lazada: %+v", s)
	}
	got = step(adapters.Change{Key: ls[0].Key, Kind: adapters.KindPrice, To: money("12.00")})
	want(ls[0].SKU, "12.00", "50.00")
	// Removing the compare-at sets the price to the selling price; the
	// special price, no longer below it, does not show.
	got = step(adapters.Change{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Null})
	want(ls[0].SKU, "12.00", "")
	// A price raised above it ends it now, so that it never shows again.
	got = step(adapters.Change{Key: ls[0].Key, Kind: adapters.KindPrice, To: money("20.00")})
	want(ls[0].SKU, "20.00", "")
	if _, s, _ := f.Listing(ls[0].SKU); !s.Price.Equal(decimal.RequireFromString("20")) || s.SpecialTo.After(testNow) {
		t.Errorf("on Lazada after the price rose: %+v", s)
	}
	// A compare-at removed while the special price is below the price
	// ends it too.
	step(adapters.Change{Key: ls[2].Key, Kind: adapters.KindCompareAt, To: money("30.00")})
	got = step(adapters.Change{Key: ls[2].Key, Kind: adapters.KindCompareAt, To: adapters.Null}, adapters.Change{Key: ls[2].Key, Kind: adapters.KindPrice, To: money("25.00")})
	want(ls[2].SKU, "25.00", "")
	if _, s, _ := f.Listing(ls[2].SKU); s.SpecialTo.After(testNow) {
		t.Errorf("the special price of %s still runs: %+v", ls[2].SKU, s)
	}
}

// A promotion's sale goes with its window, so that Lazada switches it on
// and off: observed before, during and after.
func TestSaleScheduled(t *testing.T) {
	f, c, ls := seeded(t, 1, "")
	starts := testNow.Add(48*time.Hour + 30*time.Second)
	ends := starts.Add(72 * time.Hour)
	sale := &adapters.Sale{Promotion: "payday", Price: decimal.RequireFromString("7.99"), Regular: decimal.RequireFromString("10.00"), Starts: starts, Ends: ends}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: money("7.99"), Sale: sale},
		{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: money("10.00"), Sale: sale},
	})
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	_, s, _ := f.Listing(ls[0].SKU)
	if !s.SpecialFrom.Equal(starts.Truncate(time.Minute).Add(time.Minute)) || !s.SpecialTo.Equal(ends.Truncate(time.Minute)) {
		t.Errorf("window %s to %s, want whole minutes inside %s to %s", s.SpecialFrom, s.SpecialTo, starts, ends)
	}
	for at, want := range map[time.Time][2]string{
		testNow:                       {"10.00", ""},
		starts.Add(time.Hour):         {"7.99", "10.00"},
		ends.Add(-2 * time.Minute):    {"7.99", "10.00"},
		ends.Add(time.Minute):         {"10.00", ""},
		starts.Add(-90 * time.Second): {"10.00", ""},
		starts.Truncate(time.Minute):  {"10.00", ""},
	} {
		l := adaptertest.ObserveAll(t, f.open(t, "", clockAt(at)), nil)[ls[0].SKU]
		if p, ca := adapters.Money(l.Price, 2).Text, adapters.Money(l.CompareAt, 2).Text; p != want[0] || ca != want[1] {
			t.Errorf("at %s: price %q compare-at %q, want %q %q", at, p, ca, want[0], want[1])
		}
	}
}

func TestApplyRefusals(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	got := adaptertest.ObserveAll(t, c, nil)
	sale := &adapters.Sale{Price: decimal.RequireFromString("12"), Regular: decimal.RequireFromString("10"), Starts: testNow, Ends: testNow.Add(time.Hour)}
	short := &adapters.Sale{Price: decimal.RequireFromString("8"), Regular: decimal.RequireFromString("10"), Starts: testNow.Add(10 * time.Second), Ends: testNow.Add(50 * time.Second)}
	changes := []adapters.Change{
		{Key: adapters.Key{Channel: "lazada_sg", SKU: "NOPE-1"}, Kind: adapters.KindQuantity, To: adapters.Units(1)},
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(4), Ref: got[ls[1].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindCreate, Listing: &ls[1]},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "description", To: adapters.Null},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "bad name", To: adapters.Text("x")},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: money("1.005")},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: money("0")},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: money("9.00"), Sale: sale},
		{Key: ls[2].Key, Kind: adapters.KindPrice, To: money("8.00"), Sale: short},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(-1)},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "name", To: adapters.Text("x")},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(6)},
	}
	rs := c.Apply(context.Background(), changes)
	for i, want := range []string{
		"not listed on Lazada", "reference", "created in Seller Center", "does not remove", "cannot be set",
		"decimal places", "above 0", "not a price under the regular price", "less than a whole minute", "0 or more", "cannot be set",
	} {
		var rej *adapters.RejectedError
		if !errors.As(rs[i].Err, &rej) || !strings.Contains(rej.Reason, want) {
			t.Errorf("change %d: %v, want a rejection saying %q", i, rs[i].Err, want)
		}
	}
	if rs[len(rs)-1].Err != nil {
		t.Errorf("the good change: %v", rs[len(rs)-1].Err)
	}
	if _, s, _ := f.Listing(ls[0].SKU); s.Quantity != ls[0].Quantity.Units {
		t.Errorf("a change with another listing's reference landed: %d", s.Quantity)
	}
}

// One item, several SKUs: a page of GetProducts holds more listings than
// items, and Observe hands them over in pages of at most 50; a title is
// the item's, and two SKUs of one item cannot set it differently.
func TestVariants(t *testing.T) {
	f := newFake(t)
	for i := range 30 {
		var skus []lazadatest.Sku
		for v := range 3 {
			skus = append(skus, lazadatest.Sku{SellerSku: fmt.Sprintf("V-%02d-%d", i, v), Quantity: int64(v), Price: decimal.NewFromInt(int64(10 + v))})
		}
		f.AddItem(lazadatest.Item{Attributes: map[string]string{"name": fmt.Sprintf("Item %d", i)}, Skus: skus})
	}
	c := f.open(t, "", clockAt(testNow))
	n := 0
	err := c.Observe(context.Background(), nil, func(page []adapters.Listing) error {
		if len(page) > c.Limits().PageSize {
			t.Errorf("a page of %d", len(page))
		}
		n += len(page)
		return nil
	})
	if err != nil || n != 90 {
		t.Fatalf("Observe: %v, %d listings", err, n)
	}
	k := func(sku string) adapters.Key { return adapters.Key{Channel: "lazada_sg", SKU: sku} }
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: k("V-00-0"), Kind: adapters.KindField, Field: "title", To: adapters.Text("Renamed")},
		{Key: k("V-00-1"), Kind: adapters.KindField, Field: "title", To: adapters.Text("Renamed")},
		{Key: k("V-01-0"), Kind: adapters.KindField, Field: "title", To: adapters.Text("One")},
		{Key: k("V-01-1"), Kind: adapters.KindField, Field: "title", To: adapters.Text("Other")},
	})
	var rej *adapters.RejectedError
	if rs[0].Err != nil || rs[1].Err != nil || rs[2].Err != nil || !errors.As(rs[3].Err, &rej) {
		t.Errorf("titles: %v", rs)
	}
	if it, _, _ := f.Listing("V-00-2"); it.Attributes["name"] != "Renamed" {
		t.Errorf("the item's title is %q", it.Attributes["name"])
	}
	if f.Calls("/product/update") != 2 {
		t.Errorf("%d UpdateProduct calls, want one per item", f.Calls("/product/update"))
	}
}

// More SKUs than one UpdatePriceQuantity takes go in calls of 50.
func TestLargeBatch(t *testing.T) {
	f, c, ls := seeded(t, 120, "batch_size = 50\n")
	changes := make([]adapters.Change, len(ls))
	for i := range ls {
		changes[i] = adapters.Change{Key: ls[i].Key, Kind: adapters.KindQuantity, To: adapters.Units(int64(i + 1))}
	}
	for i, r := range c.Apply(context.Background(), changes) {
		if r.Err != nil {
			t.Fatalf("change %d: %v", i, r.Err)
		}
	}
	if n := f.Calls("/product/price_quantity/update"); n != 3 {
		t.Errorf("%d UpdatePriceQuantity calls for 120 SKUs, want 3", n)
	}
	if n := f.Calls("/products/get"); n != 3 {
		t.Errorf("%d GetProducts calls to read 120 SKUs, want 3 (lists of 100 and 20, pages of 50 items)", n)
	}
	if c.Limits().BatchSize != 50 {
		t.Errorf("Limits %+v", c.Limits())
	}
}

// A throttled write fails its batch with the ban to wait, and stops the
// rest of the batch: the caller retries.
func TestApplyThrottled(t *testing.T) {
	f, c, ls := seeded(t, 2, "")
	f.SetLimit("/product/price_quantity/update", rate.NewLimiter(rate.Every(time.Hour), 1))
	f.SetLimit("/product/update", rate.NewLimiter(rate.Every(time.Hour), 1))
	// Spend the one token.
	if r := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1)}}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(2)},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("x")},
	})
	var te *adapters.ThrottledError
	if !errors.As(rs[0].Err, &te) || te.RetryAfter != time.Second || !errors.As(rs[1].Err, &te) {
		t.Errorf("throttled: %v", rs)
	}
	if f.Throttled() != 1 || f.Calls("/product/update") != 0 {
		t.Errorf("%d throttled, %d UpdateProduct sent after the throttle", f.Throttled(), f.Calls("/product/update"))
	}
}

func TestApplyScaleZero(t *testing.T) {
	c := &Channel{scale: 0, currency: "IDR", zone: time.UTC, now: clockAt(testNow)}
	g := &group{sku: "A", e: &entry{itemID: "1", skuID: "2", listing: adapters.Listing{Price: dec("150000")}}}
	p := dec("125000")
	g.price = &p
	el, err := c.element(g)
	if err != nil || el.Price != "125000" || el.SalePrice != "" {
		t.Errorf("element = %+v, %v", el, err)
	}
	if why := c.checkPrice(&adapters.Change{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindPrice, To: money("1.50")}); !strings.Contains(why, "decimal places") {
		t.Errorf("a fraction of a rupiah: %q", why)
	}
}

func TestApplyCancelledSendsNothing(t *testing.T) {
	f, c, ls := seeded(t, 1, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := c.Apply(ctx, []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1)}})
	if !errors.Is(rs[0].Err, context.Canceled) || len(f.Requests()) != 0 {
		t.Errorf("cancelled: %v after %d requests", rs[0].Err, len(f.Requests()))
	}
}
