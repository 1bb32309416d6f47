package ebay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/ebay/ebaytest"
)

func seeded(t *testing.T, n int) (*fake, *Channel, []adapters.Listing) {
	t.Helper()
	f := newFake(t)
	ls := adaptertest.Listings(adaptertest.Fixture{Channel: "ebay_us", Currency: "USD", Scale: 2}, n)
	f.Seed(ls)
	return f, f.open(t), ls
}

func moneyValue(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

// noSecret fails when err's text quotes a credential or an access token.
func noSecret(t *testing.T, err error) {
	t.Helper()
	adaptertest.NoSecret(t, err, ebaytest.RefreshToken, ebaytest.ClientSecret, ebaytest.VerificationToken, "#t^access-")
}

func TestObserveReadsEverything(t *testing.T) {
	f, c, _ := seeded(t, 1)
	f.Seed([]adapters.Listing{{
		Key: adapters.Key{Channel: "ebay_us", SKU: "FULL-1"}, Quantity: adapters.Quantity{Units: 9, Valid: true},
		Price:     decimal.NullDecimal{Decimal: decimal.RequireFromString("19.90"), Valid: true},
		CompareAt: decimal.NullDecimal{Decimal: decimal.RequireFromString("24.90"), Valid: true},
		Fields: []adapters.Field{{Name: "brand", Value: "Acme"}, {Name: "description", Value: "<b>Sturdy</b>"}, {Name: "gtin", Value: "4006381333931"},
			{Name: "minimum_advertised_price", Value: "18.5"}, {Name: "title", Value: "Acme anvil"}},
	}})
	f.PutItem("NO-OFFER", "an item never offered")
	got := adaptertest.ObserveAll(t, c, nil)
	if _, ok := got["NO-OFFER"]; ok {
		t.Error("an inventory item without an offer was observed as a listing")
	}
	l := got["FULL-1"]
	want := adapters.Listing{
		Key: l.Key, Quantity: adapters.Quantity{Units: 9, Valid: true}, Currency: "USD", Status: "active", Ref: l.Ref,
		Price:     decimal.NullDecimal{Decimal: decimal.RequireFromString("19.90"), Valid: true},
		CompareAt: decimal.NullDecimal{Decimal: decimal.RequireFromString("24.90"), Valid: true},
		Fields: []adapters.Field{{Name: "brand", Value: "Acme"}, {Name: "description", Value: "<b>Sturdy</b>"}, {Name: "gtin", Value: "4006381333931"},
			{Name: "minimum_advertised_price", Value: "18.50"}, {Name: "title", Value: "Acme anvil"}},
	}
	if d := cmp.Diff(want, l); d != "" {
		t.Errorf("observed listing (-want +got):\n%s", d)
	}
	if fl, _ := f.Listing("FULL-1"); string(l.Ref) != fl.OfferID || l.Ref == "" {
		t.Errorf("Ref %q, want the offer ID %q", l.Ref, fl.OfferID)
	}
	// The quantity buyers see is the smaller of the item's and the offer's.
	f.Seed(nil)
	if got := adaptertest.ObserveAll(t, c, []string{"FULL-1"}); got["FULL-1"].Quantity.Units != 9 {
		t.Errorf("filtered read: %+v", got["FULL-1"])
	}
}

func TestQuantityIsTheSmallerOfItemAndOffer(t *testing.T) {
	f, c, ls := seeded(t, 2)
	// An order lowers both; lower the offer alone by writing it whole
	// through the fake's own seed of a smaller listing.
	f.OrderHook(ls[1].SKU, 1)
	got := adaptertest.ObserveAll(t, c, nil)
	if q := got[ls[1].SKU].Quantity; q.Units != ls[1].Quantity.Units-1 {
		t.Errorf("after an order of 1: %v", q)
	}
	fl, _ := f.Listing(ls[1].SKU)
	if *fl.ShipTo != *fl.Available {
		t.Errorf("an order lowered the item to %d and the offer to %d", *fl.ShipTo, *fl.Available)
	}
}

func TestPagesFollowNextWithoutItsHost(t *testing.T) {
	f, c, ls := seeded(t, 2*maxPageSize+3)
	pages := 0
	if err := c.Observe(context.Background(), nil, func(p []adapters.Listing) error {
		pages++
		if len(p) > maxPageSize {
			t.Errorf("a page of %d", len(p))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if pages != 3 || f.Calls("getInventoryItems") != 3 || f.Calls("getOffers") != len(ls) {
		t.Errorf("%d pages, %d getInventoryItems, %d getOffers for %d listings", pages, f.Calls("getInventoryItems"), f.Calls("getOffers"), len(ls))
	}
	var offsets []string
	for _, r := range f.Requests() {
		if strings.HasPrefix(r, "GET /sell/inventory/v1/inventory_item?") {
			offsets = append(offsets, r)
		}
	}
	want := []string{
		"GET /sell/inventory/v1/inventory_item?limit=200&offset=0",
		"GET /sell/inventory/v1/inventory_item?limit=200&offset=200",
		"GET /sell/inventory/v1/inventory_item?limit=200&offset=400",
	}
	if d := cmp.Diff(want, offsets); d != "" {
		t.Errorf("pages read (-want +got):\n%s", d)
	}
}

func TestFilterReadsInBulk(t *testing.T) {
	f, c, ls := seeded(t, 60)
	var skus []string
	for _, l := range ls[:52] {
		skus = append(skus, l.SKU)
	}
	skus = append(skus, "NOT-ON-EBAY", ls[0].SKU)
	got := adaptertest.ObserveAll(t, c, skus)
	if len(got) != 52 {
		t.Errorf("observed %d of 52 listed SKUs", len(got))
	}
	if n := f.Calls("bulkGetInventoryItem"); n != 3 {
		t.Errorf("%d bulkGetInventoryItem calls for 53 SKUs, want 3 (25 a call)", n)
	}
	if f.Calls("getInventoryItems") != 0 {
		t.Error("a filtered read paged through every item")
	}
}

func TestTokenCachedAndRefreshedWhenExpired(t *testing.T) {
	f, c, ls := seeded(t, 3)
	adaptertest.ObserveAll(t, c, nil)
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 1 {
		t.Errorf("%d token exchanges for two reads, want 1 (cached)", f.TokenCalls())
	}
	f.ExpireTokens()
	got := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})
	if f.TokenCalls() != 2 || len(got) != 1 {
		t.Errorf("after the token expired: %d exchanges, %d listings; want one refresh and the read", f.TokenCalls(), len(got))
	}
	// A 401 that is not eBay's invalid token is not retried.
	f.Fail(http.StatusUnauthorized, "", "application/json", `{"errors":[{"errorId":1100,"domain":"ACCESS","category":"REQUEST","message":"Access denied"}]}`)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || f.TokenCalls() != 2 {
		t.Errorf("a 401 of another error: %v after %d exchanges, want an *AuthError and no refresh", err, f.TokenCalls())
	}
	noSecret(t, err)
	// A token refused again after the refresh is not refreshed forever.
	f.Fail(http.StatusUnauthorized, "", "application/json", `{"errors":[{"errorId":1001,"domain":"OAuth","category":"REQUEST","message":"Invalid access token"}]}`)
	f.Fail(http.StatusUnauthorized, "", "application/json", `{"errors":[{"errorId":1001,"domain":"OAuth","category":"REQUEST","message":"Invalid access token"}]}`)
	err = c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	if !errors.As(err, &auth) || f.TokenCalls() != 3 {
		t.Errorf("refused twice: %v after %d exchanges, want an *AuthError after one refresh", err, f.TokenCalls())
	}
}

func TestTokenRefused(t *testing.T) {
	f, c, ls := seeded(t, 1)
	f.RefuseTokens(true)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("a refused refresh token: %v, want an *AuthError saying invalid_grant", err)
	}
	noSecret(t, err)
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(3)}})
	if !errors.As(rs[0].Err, &auth) {
		t.Errorf("apply with a refused refresh token: %v", rs[0].Err)
	}
}

// A token endpoint that echoes what it was sent never puts a secret in an
// error.
func TestSecretsScrubbed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "bad request: %s %s", raw, r.Header.Get("Authorization")) //nolint:gosec // G705: a test server that echoes what it was sent, on purpose
	}))
	t.Cleanup(srv.Close)
	f := newFake(t)
	c := f.open(t)
	c.user.cfg.TokenEndpoint = srv.URL
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	if err == nil {
		t.Fatal("Observe succeeded")
	}
	if strings.Contains(err.Error(), "refresh-secret-token") || strings.Contains(err.Error(), "refresh-secret") {
		t.Errorf("the error quotes the refresh token: %v", err)
	}
	noSecret(t, err)
}

func TestBadAnswers(t *testing.T) {
	html := `<html><head><title>502 Bad Gateway</title></head><body>upstream</body></html>`
	for name, tc := range map[string]struct {
		status   int
		ct, body string
		check    func(error) bool
		says     string
	}{
		"html error page": {502, "text/html", html, isA[*adapters.TemporaryError], "502 Bad Gateway"},
		"html with 200":   {200, "text/html", html, isA[*adapters.BadResponseError], "502 Bad Gateway"},
		"truncated json":  {200, "application/json", `{"total": 3, "inventoryItems": [{"sku": "AT-0`, isA[*adapters.BadResponseError], "inventoryItems"},
		"system error":    {500, "application/json", `{"errors":[{"errorId":25001,"domain":"API_INVENTORY","category":"APPLICATION","message":"A system error has occurred."}]}`, isA[*adapters.TemporaryError], "25001"},
		"throttled":       {429, "application/json", `{"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST","message":"Too many requests"}]}`, isA[*adapters.ThrottledError], "2001"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c, _ := seeded(t, 3)
			f.Fail(tc.status, "getInventoryItems", tc.ct, tc.body)
			err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Observe = %v, want one saying %q", err, tc.says)
			}
			if tc.status == http.StatusTooManyRequests {
				return // the account is paused a second: the read after waits
			}
			if got := adaptertest.ObserveAll(t, c, nil); len(got) != 3 {
				t.Errorf("after the failure: %d listings", len(got))
			}
		})
	}
}

func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestThrottledApply(t *testing.T) {
	f, c, ls := seeded(t, 2)
	adaptertest.ObserveAll(t, c, nil)
	f.SetLimit("bulkUpdatePriceQuantity", rate.NewLimiter(0, 0))
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: moneyValue("12.00")},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: moneyValue("13.00")},
	})
	for i, r := range rs {
		var th *adapters.ThrottledError
		if !errors.As(r.Err, &th) || th.RetryAfter <= 0 {
			t.Errorf("change %d: %v, want a *ThrottledError with a wait", i, r.Err)
		}
	}
	if f.Throttled() != 1 {
		t.Errorf("%d throttled calls, want 1 (no retry)", f.Throttled())
	}
}

func TestUnknownSKU(t *testing.T) {
	_, c, ls := seeded(t, 2)
	if got := adaptertest.ObserveAll(t, c, []string{"NOPE-1"}); len(got) != 0 {
		t.Errorf("an unknown SKU observed: %v", got)
	}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: adapters.Key{Channel: "ebay_us", SKU: "NOPE-1"}, Kind: adapters.KindPrice, To: moneyValue("12.00")},
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: moneyValue("12.00")},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rs[0].Err.Error(), "not listed") {
		t.Errorf("a change to an unknown SKU: %v, want a *RejectedError saying it is not listed", rs[0].Err)
	}
	if rs[1].Err != nil {
		t.Errorf("the other change: %v", rs[1].Err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	f, c, ls := seeded(t, 1)
	long := strings.Repeat("x", 81)
	changes := []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(-1)},
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: moneyValue("0.00")},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text(long)},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "title", To: adapters.Null},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "gtin", To: adapters.Text("123")},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "color", To: adapters.Text("red")},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "minimum_advertised_price", To: adapters.Text("cheap")},
		{Key: ls[0].Key, Kind: adapters.KindCreate, Listing: &ls[0]},
	}
	for i, r := range c.Apply(context.Background(), changes) {
		var rej *adapters.RejectedError
		if !errors.As(r.Err, &rej) {
			t.Errorf("change %d (%s %s): %v, want a *RejectedError", i, changes[i].Name(), changes[i].To, r.Err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests for changes all refused: %v", n, f.Requests())
	}
}

// Every change of one SKU in one Apply: the fields in the item's PUT, the
// offer's prices in its PUT, and the quantity and price folded into them:
// two revisions, and what accord does not manage left as it was.
func TestOneSKUCostsFewRevisions(t *testing.T) {
	f, c, ls := seeded(t, 2)
	ref := adaptertest.ObserveAll(t, c, nil)[ls[0].SKU].Ref
	before, _ := f.Listing(ls[0].SKU)
	k := ls[0].Key
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: k, Ref: ref, Kind: adapters.KindQuantity, To: adapters.Units(17)},
		{Key: k, Ref: ref, Kind: adapters.KindPrice, To: moneyValue("31.50")},
		{Key: k, Ref: ref, Kind: adapters.KindCompareAt, To: moneyValue("39.00")},
		{Key: k, Ref: ref, Kind: adapters.KindField, Field: "title", To: adapters.Text("A new title")},
		{Key: k, Ref: ref, Kind: adapters.KindField, Field: "brand", To: adapters.Text("Acme")},
		{Key: k, Ref: ref, Kind: adapters.KindField, Field: "description", To: adapters.Text("Now with a description")},
		{Key: k, Ref: ref, Kind: adapters.KindField, Field: "minimum_advertised_price", To: moneyValue("30.00")},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	if n := f.Revisions(ls[0].SKU); n != 2 {
		t.Errorf("%d revisions for one apply of every kind of change, want 2 (the item's PUT and the offer's)", n)
	}
	if f.Calls("bulkUpdatePriceQuantity") != 0 {
		t.Error("a bulk update for a quantity and price the PUTs carried")
	}
	got, _ := f.Listing(ls[0].SKU)
	if *got.ShipTo != 17 || *got.Available != 17 || got.Price.Decimal.String() != "31.5" || got.CompareAt.Decimal.String() != "39" ||
		got.MAP.Decimal.String() != "30" || got.Title != "A new title" || got.Brand != "Acme" || got.Description != "Now with a description" {
		t.Errorf("after apply: %+v", got)
	}
	for _, path := range [][]string{{"condition"}, {"packageWeightAndSize"}, {"product", "aspects"}, {"product", "imageUrls"}, {"product", "ean"}} {
		if d := cmp.Diff(at(before.Item, path), at(got.Item, path)); d != "" {
			t.Errorf("the item's %v moved (-before +after):\n%s", path, d)
		}
	}
	for _, key := range []string{"categoryId", "listingPolicies", "listingDescription", "merchantLocationKey", "listingDuration"} {
		if d := cmp.Diff(before.Offer[key], got.Offer[key]); d != "" {
			t.Errorf("the offer's %s moved (-before +after):\n%s", key, d)
		}
	}
	// Quantity and price alone: one bulk entry, one revision.
	rs = c.Apply(context.Background(), []adapters.Change{
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(4)},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: moneyValue("9.99")},
	})
	if rs[0].Err != nil || rs[1].Err != nil || f.Revisions(ls[1].SKU) != 1 {
		t.Errorf("quantity and price: %v, %v, %d revisions (want 1)", rs[0].Err, rs[1].Err, f.Revisions(ls[1].SKU))
	}
	// Removing what can be removed.
	rs = c.Apply(context.Background(), []adapters.Change{
		{Key: k, Kind: adapters.KindCompareAt, To: adapters.Null},
		{Key: k, Kind: adapters.KindField, Field: "minimum_advertised_price", To: adapters.Null},
		{Key: k, Kind: adapters.KindField, Field: "description", To: adapters.Null},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("removal %d: %v", i, r.Err)
		}
	}
	got, _ = f.Listing(ls[0].SKU)
	if got.CompareAt.Valid || got.MAP.Valid || got.Description != "" {
		t.Errorf("after removals: %+v", got)
	}
}

func at(m map[string]any, path []string) any {
	var cur any = m
	for _, p := range path {
		mm, _ := cur.(map[string]any)
		cur = mm[p]
	}
	return cur
}

// A title refused by eBay does not take the quantity down with it.
func TestRefusedPutLeavesTheRest(t *testing.T) {
	f, c, ls := seeded(t, 1)
	k := ls[0].Key
	f.Fail(http.StatusBadRequest, "createOrReplaceInventoryItem", "application/json",
		`{"errors":[{"errorId":25017,"domain":"API_INVENTORY","category":"REQUEST","message":"Missing information in fields"}]}`)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: k, Kind: adapters.KindField, Field: "title", To: adapters.Text("Refused title")},
		{Key: k, Kind: adapters.KindQuantity, To: adapters.Units(11)},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rs[0].Err.Error(), "25017") {
		t.Errorf("the refused title: %v", rs[0].Err)
	}
	if rs[1].Err != nil {
		t.Errorf("the quantity with it: %v", rs[1].Err)
	}
	if got, _ := f.Listing(ls[0].SKU); *got.ShipTo != 11 || *got.Available != 11 {
		t.Errorf("quantity %d/%d after apply, want 11", *got.ShipTo, *got.Available)
	}
}

func TestBulkBatchesAndFallsBackToOneSKU(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			f, c, ls := seeded(t, 30)
			f.SetStrict(strict)
			refs := adaptertest.ObserveAll(t, c, nil)
			changes := make([]adapters.Change, len(ls))
			for i, l := range ls {
				changes[i] = adapters.Change{Key: l.Key, Ref: refs[l.SKU].Ref, Kind: adapters.KindPrice, To: moneyValue(fmt.Sprintf("%d.25", 20+i))}
			}
			for i, r := range c.Apply(context.Background(), changes) {
				if r.Err != nil {
					t.Errorf("change %d: %v", i, r.Err)
				}
			}
			want := 2 // 25 + 5
			if strict {
				want = 1 + 30 // the refused call of 25, then one a SKU
			}
			if n := f.Calls("bulkUpdatePriceQuantity"); n != want {
				t.Errorf("%d bulk updates, want %d", n, want)
			}
			// Remembered: the next apply goes one SKU a call at once.
			rs := c.Apply(context.Background(), changes[:3])
			for i, r := range rs {
				if r.Err != nil {
					t.Errorf("again, change %d: %v", i, r.Err)
				}
			}
			if strict {
				want += 3
			} else {
				want++
			}
			if n := f.Calls("bulkUpdatePriceQuantity"); n != want {
				t.Errorf("after a second apply: %d bulk updates, want %d", n, want)
			}
			for i, l := range ls {
				got, _ := f.Listing(l.SKU)
				if got.Price.Decimal.StringFixed(2) != fmt.Sprintf("%d.25", 20+i) {
					t.Errorf("%s price %s", l.SKU, got.Price.Decimal)
				}
			}
		})
	}
}

// A 207: the items eBay took and the ones it refused, each its own Result.
func TestPartialFailure(t *testing.T) {
	f, c, ls := seeded(t, 3)
	refs := adaptertest.ObserveAll(t, c, nil)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Ref: refs[ls[0].SKU].Ref, Kind: adapters.KindPrice, To: moneyValue("11.00")},
		{Key: ls[1].Key, Ref: refs[ls[2].SKU].Ref, Kind: adapters.KindPrice, To: moneyValue("12.00")}, // another's offer
		{Key: ls[2].Key, Ref: refs[ls[2].SKU].Ref, Kind: adapters.KindQuantity, To: adapters.Units(5)},
	})
	var rej *adapters.RejectedError
	if rs[0].Err != nil || rs[2].Err != nil || !errors.As(rs[1].Err, &rej) {
		t.Errorf("results %v, %v, %v; want the middle one alone refused", rs[0].Err, rs[1].Err, rs[2].Err)
	}
	if f.Calls("bulkUpdatePriceQuantity") != 1 {
		t.Errorf("%d bulk updates, want 1", f.Calls("bulkUpdatePriceQuantity"))
	}
	if got, _ := f.Listing(ls[1].SKU); got.Price.Decimal.StringFixed(2) != ls[1].Price.Decimal.StringFixed(2) {
		t.Errorf("the refused price landed: %s", got.Price.Decimal)
	}
	if got, _ := f.Listing(ls[2].SKU); got.Price.Decimal.StringFixed(2) != ls[2].Price.Decimal.StringFixed(2) {
		t.Errorf("a price landed on the listing whose offer was named: %s", got.Price.Decimal)
	}
	// An offer-level change carrying another listing's offer is refused
	// before anything is written.
	rs = c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Ref: refs[ls[1].SKU].Ref, Kind: adapters.KindCompareAt, To: moneyValue("50.00")}})
	if !errors.As(rs[0].Err, &rej) || f.Calls("updateOffer") != 0 {
		t.Errorf("compare_at by another's offer: %v, %d updateOffer calls", rs[0].Err, f.Calls("updateOffer"))
	}
}

// The fake counts 250 revisions a listing per eBay day and refuses the
// 251st; the next Pacific day starts again.
func TestRevisionLimitOfTheFake(t *testing.T) {
	f, c, ls := seeded(t, 1)
	// 23:30 in Los Angeles on 1 March 2026 (PST, UTC-8).
	now := time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)
	f.SetNow(func() time.Time { return now })
	for i := range 250 {
		rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(int64(i % 9))}})
		if rs[0].Err != nil {
			t.Fatalf("revision %d: %v", i+1, rs[0].Err)
		}
	}
	if n := f.Revisions(ls[0].SKU); n != 250 {
		t.Fatalf("%d revisions counted, want 250", n)
	}
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindPrice, To: moneyValue("99.00")}})
	if !isA[*adapters.RejectedError](rs[0].Err) || !strings.Contains(rs[0].Err.Error(), "25019") {
		t.Errorf("the 251st revision: %v, want eBay's refusal", rs[0].Err)
	}
	if got, _ := f.Listing(ls[0].SKU); got.Price.Decimal.StringFixed(2) == "99.00" {
		t.Error("the 251st revision landed")
	}
	// 00:30 in Los Angeles: a new eBay day, though UTC's began hours ago.
	now = now.Add(time.Hour)
	if n := f.Revisions(ls[0].SKU); n != 0 {
		t.Errorf("%d revisions on a new day", n)
	}
	rs = c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindPrice, To: moneyValue("99.00")}})
	if rs[0].Err != nil {
		t.Errorf("the first revision of a new day: %v", rs[0].Err)
	}
}

func TestCancelledMidApply(t *testing.T) {
	f, c, ls := seeded(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	f.Fail(http.StatusServiceUnavailable, "getInventoryItem", "text/plain", "unavailable")
	cancel()
	rs := c.Apply(ctx, []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("x")}})
	if !errors.Is(rs[0].Err, context.Canceled) {
		t.Errorf("cancelled: %v", rs[0].Err)
	}
}

// The fake refuses what the document does not allow, with eBay's error
// shape; no test of the adapter ever triggers it (the fake fails the test
// that does).
func TestFakeRefusesRequestsOutsideTheDocument(t *testing.T) {
	f := newFake(t)
	f.AllowInvalid()
	c := f.open(t)
	tok, err := c.user.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		method, path, body string
		header             map[string]string
	}{
		"unknown field":       {"POST", "/sell/inventory/v1/bulk_update_price_quantity", `{"requests":[{"sku":"A","quantity":3}]}`, map[string]string{"Content-Type": "application/json"}},
		"26 SKUs":             {"POST", "/sell/inventory/v1/bulk_update_price_quantity", `{"requests":[` + strings.Repeat(`{"sku":"A"},`, 25) + `{"sku":"B"}]}`, map[string]string{"Content-Type": "application/json"}},
		"price as number":     {"POST", "/sell/inventory/v1/bulk_update_price_quantity", `{"requests":[{"sku":"A","offers":[{"offerId":"1","price":{"value":1.5,"currency":"USD"}}]}]}`, map[string]string{"Content-Type": "application/json"}},
		"no content language": {"PUT", "/sell/inventory/v1/inventory_item/A", `{"product":{"title":"t"}}`, map[string]string{"Content-Type": "application/json"}},
		"unknown query":       {"GET", "/sell/inventory/v1/inventory_item?limit=10&page=2", ``, nil},
		"offers without sku":  {"GET", "/sell/inventory/v1/offer", ``, nil},
		"limit over 200":      {"GET", "/sell/inventory/v1/inventory_item?limit=500", ``, nil},
		"unknown path":        {"GET", "/sell/inventory/v1/listing", ``, nil},
	} {
		t.Run(name, func(t *testing.T) {
			before := len(f.Invalid())
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, f.URL()+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+tok)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := f.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || len(errorsOf(raw)) == 0 {
				t.Errorf("answered %d %s, want 400 with eBay's errors", resp.StatusCode, raw)
			}
			if len(f.Invalid()) != before+1 {
				t.Errorf("not recorded as outside the document")
			}
		})
	}
	// A bulk update of several SKUs is the document's in either reading:
	// the strict fake refuses it, but as eBay would, not as malformed.
	f.SetStrict(true)
	before := len(f.Invalid())
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "ebay_us", Currency: "USD"}, 2))
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: adapters.Key{Channel: "ebay_us", SKU: adaptertest.SKU(0)}, Kind: adapters.KindQuantity, To: adapters.Units(1)},
		{Key: adapters.Key{Channel: "ebay_us", SKU: adaptertest.SKU(1)}, Kind: adapters.KindQuantity, To: adapters.Units(1)},
	})
	if rs[0].Err != nil || rs[1].Err != nil || len(f.Invalid()) != before {
		t.Errorf("strict fake: %v, %v, invalid %v", rs[0].Err, rs[1].Err, f.Invalid()[before:])
	}
}

// The requests of a small session, as the golden file has them
// (ACCORD_UPDATE_GOLDEN=1 rewrites it). Observe's offer reads run
// concurrently: each phase's requests are sorted.
func TestGoldenRequests(t *testing.T) {
	f, c, ls := seeded(t, 3)
	var lines []string
	phase := func(name string, sorted bool) {
		reqs := f.Requests()[len(linesOf(lines)):]
		if sorted {
			reqs = slices.Sorted(slices.Values(reqs))
		}
		lines = append(lines, "# "+name)
		lines = append(lines, reqs...)
	}
	adaptertest.ObserveAll(t, c, nil)
	phase("observe everything", true)
	adaptertest.ObserveAll(t, c, []string{ls[1].SKU, "NOT-LISTED"})
	phase("observe two SKUs", true)
	refs := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})
	phase("observe one SKU", true)
	c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Ref: refs[ls[0].SKU].Ref, Kind: adapters.KindQuantity, To: adapters.Units(8)},
		{Key: ls[0].Key, Ref: refs[ls[0].SKU].Ref, Kind: adapters.KindField, Field: "title", To: adapters.Text("Golden title")},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: moneyValue("14.50")},
		{Key: ls[2].Key, Kind: adapters.KindCompareAt, To: moneyValue("40.00")},
		{Key: ls[2].Key, Kind: adapters.KindQuantity, To: adapters.Units(0)},
	})
	phase("apply", false)
	got := strings.Join(lines, "\n") + "\n"
	adaptertest.Golden(t, filepath.Join("testdata", "requests.golden"), got)
	for _, s := range []string{ebaytest.RefreshToken, ebaytest.ClientSecret, ebaytest.VerificationToken, "Bearer"} {
		if strings.Contains(got, s) {
			t.Errorf("the golden requests quote a secret %q", s)
		}
	}
}

// linesOf is the requests among golden lines (the phase titles aside).
func linesOf(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "# ") {
			out = append(out, l)
		}
	}
	return out
}

// A write whose token expired is sent again once, with a new token.
func TestExpiredTokenOnWrite(t *testing.T) {
	f, c, ls := seeded(t, 1)
	adaptertest.ObserveAll(t, c, nil)
	f.ExpireTokens()
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(12)}})
	if rs[0].Err != nil || f.TokenCalls() != 2 {
		t.Errorf("apply after the token expired: %v after %d exchanges", rs[0].Err, f.TokenCalls())
	}
	if got, _ := f.Listing(ls[0].SKU); *got.ShipTo != 12 {
		t.Errorf("quantity %d", *got.ShipTo)
	}
}

// A multi-SKU call refused whole, whose SKUs are then refused one by one
// too, was not eBay refusing the shape: the adapter keeps batching.
func TestRefusedBatchNotTakenForTheShape(t *testing.T) {
	f, c, ls := seeded(t, 3)
	refused := `{"errors":[{"errorId":25709,"domain":"API_INVENTORY","category":"REQUEST","message":"Invalid value for price."}]}`
	for range 4 {
		f.Fail(http.StatusBadRequest, "bulkUpdatePriceQuantity", "application/json", refused)
	}
	var changes []adapters.Change
	for _, l := range ls {
		changes = append(changes, adapters.Change{Key: l.Key, Kind: adapters.KindPrice, To: moneyValue("5.00")})
	}
	for i, r := range c.Apply(context.Background(), changes) {
		if !isA[*adapters.RejectedError](r.Err) || !strings.Contains(r.Err.Error(), "25709") {
			t.Errorf("change %d: %v, want eBay's refusal", i, r.Err)
		}
	}
	if c.singleSKU.Load() {
		t.Error("the adapter went to one SKU a call though single calls were refused too")
	}
	c.Apply(context.Background(), changes)
	if n := f.Calls("bulkUpdatePriceQuantity"); n != 5 {
		t.Errorf("%d bulk updates, want 4 refused and 1 of three SKUs", n)
	}
}
