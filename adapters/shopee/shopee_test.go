package shopee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
)

func seeded(t *testing.T, n int) (*fake, *Channel, []adapters.Listing) {
	t.Helper()
	f := newFake(t)
	ls := adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Currency: shopeetest.Currency, Scale: 2}, n)
	f.Seed(ls)
	return f, f.open(t), ls
}

func observeErr(c *Channel) error {
	return c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
}

func amount(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// noSecret fails when text quotes a credential or a token.
func noSecret(t *testing.T, text string, extra ...string) {
	t.Helper()
	for _, s := range append([]string{shopeetest.PartnerKey, shopeetest.AccessToken, shopeetest.RefreshToken}, extra...) {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%q quotes a secret", text)
		}
	}
}

// capture is a logger writing to a buffer.
func capture() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func TestObserveVariantsAndStatuses(t *testing.T) {
	f, c, ls := seeded(t, 2)
	variants := adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 5)[2:]
	item := f.SeedVariants(variants)
	f.Edit(ls[1].SKU, "UNLIST", false, nil)
	got := adaptertest.ObserveAll(t, c, nil)
	if len(got) != 5 {
		t.Fatalf("observed %d listings, want 2 items and 3 models", len(got))
	}
	for _, v := range variants {
		l := got[v.SKU]
		fl, _ := f.Listing(v.SKU)
		if want := makeRef(item, fl.ModelID); l.Ref != want || fl.ModelID == 0 {
			t.Errorf("%s: ref %q, want %q", v.SKU, l.Ref, want)
		}
		if title, _ := l.Field("title"); title != "Conformance item AT-00002" {
			t.Errorf("%s: a model's title is its item's name, got %q", v.SKU, title)
		}
		if l.Quantity != v.Quantity || !l.Price.Decimal.Equal(v.Price.Decimal) {
			t.Errorf("%s: %v %v, want %v %v", v.SKU, l.Quantity, l.Price, v.Quantity, v.Price)
		}
	}
	if s := got[ls[0].SKU].Status; s != "active" {
		t.Errorf("status %q", s)
	}
	if s := got[ls[1].SKU].Status; s != "inactive" {
		t.Errorf("an UNLIST item has status %q, want inactive", s)
	}
	if f.Calls("get_model_list") != 1 {
		t.Errorf("%d get_model_list calls, want one for the item with models", f.Calls("get_model_list"))
	}
}

// Several models of one item go in one update_stock and one update_price.
func TestApplyGroupsModelsOfAnItem(t *testing.T) {
	f := newFake(t)
	vs := adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 3)
	f.SeedVariants(vs)
	c := f.open(t)
	got := adaptertest.ObserveAll(t, c, nil)
	var changes []adapters.Change
	for i, v := range vs {
		changes = append(changes,
			adapters.Change{Key: v.Key, Kind: adapters.KindQuantity, To: adapters.Units(int64(20 + i)), Ref: got[v.SKU].Ref},
			adapters.Change{Key: v.Key, Kind: adapters.KindPrice, To: amount("30.50"), Ref: got[v.SKU].Ref})
	}
	for i, r := range c.Apply(context.Background(), changes) {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	if f.Calls("update_stock") != 1 || f.Calls("update_price") != 1 {
		t.Errorf("%d update_stock and %d update_price calls for one item, want one each", f.Calls("update_stock"), f.Calls("update_price"))
	}
	for i, v := range vs {
		fl, _ := f.Listing(v.SKU)
		if fl.Stock != int64(20+i) || !fl.Original.Equal(dec("30.5")) {
			t.Errorf("%s: stock %d price %s", v.SKU, fl.Stock, fl.Original)
		}
	}
}

// A model in failure_list fails its change alone, with Shopee's reason.
func TestPartialFailure(t *testing.T) {
	f := newFake(t)
	vs := adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 2)
	f.SeedVariants(vs)
	f.RejectModel("update_stock", vs[0].SKU, "Stock should be larger than reserved stock.")
	f.SetWarning("some models failed")
	c := f.open(t)
	got := adaptertest.ObserveAll(t, c, nil)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: vs[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: got[vs[0].SKU].Ref},
		{Key: vs[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(2), Ref: got[vs[1].SKU].Ref},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "larger than reserved stock") {
		t.Errorf("the refused model: %v", rs[0].Err)
	}
	if rs[1].Err != nil {
		t.Errorf("the other model: %v", rs[1].Err)
	}
	if fl, _ := f.Listing(vs[1].SKU); fl.Stock != 2 {
		t.Errorf("stock %d", fl.Stock)
	}
}

// A listing in a promotion that is not accord's shows the promotion price
// over the original one, and its price changes are refused naming it.
func TestPromotionLocksPrice(t *testing.T) {
	f, c, ls := seeded(t, 2)
	f.SetPromotion(ls[0].SKU, 555000111, dec("7.00"))
	got := adaptertest.ObserveAll(t, c, nil)
	l := got[ls[0].SKU]
	if adapters.Money(l.Price, 2).Text != "7.00" || adapters.Money(l.CompareAt, 2).Text != "10.00" {
		t.Errorf("a listing in a campaign: price %v compare_at %v, want 7.00 over 10.00", l.Price, l.CompareAt)
	}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: amount("12.00"), Ref: l.Ref},
		{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Null, Ref: l.Ref},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: amount("12.00"), Ref: got[ls[1].SKU].Ref},
	})
	var rej *adapters.RejectedError
	for _, r := range rs[:2] {
		if !errors.As(r.Err, &rej) || !strings.Contains(rej.Reason, "promotion 555000111") || !strings.Contains(rej.Reason, "cannot be edited") {
			t.Errorf("a price change in a campaign: %v, want a refusal naming it", r.Err)
		}
	}
	if rs[2].Err != nil {
		t.Errorf("another listing's price: %v", rs[2].Err)
	}
}

// A compare-at price is a place in accord's discount: set, moved,
// removed.
func TestCompareAtThroughTheDiscount(t *testing.T) {
	f, c, ls := seeded(t, 1)
	sku := ls[0].SKU
	step := func(changes []adapters.Change, price, compareAt string, inDiscount bool) {
		t.Helper()
		ref := adaptertest.ObserveAll(t, c, nil)[sku].Ref
		for i := range changes {
			changes[i].Key, changes[i].Ref = ls[0].Key, ref
		}
		for i, r := range c.Apply(context.Background(), changes) {
			if r.Err != nil {
				t.Fatalf("change %d: %v", i, r.Err)
			}
		}
		l := adaptertest.ObserveAll(t, c, nil)[sku]
		if got := adapters.Money(l.Price, 2).String() + " " + adapters.Money(l.CompareAt, 2).String(); got != price+" "+compareAt {
			t.Errorf("observed %s, want %s %s", got, price, compareAt)
		}
		if fl, _ := f.Listing(sku); (fl.PromotionID == shopeetest.DiscountID) != inDiscount {
			t.Errorf("in the discount: %v, want %v", fl.PromotionID, inDiscount)
		}
	}
	step([]adapters.Change{{Kind: adapters.KindCompareAt, To: amount("15.00")}}, "10.00", "15.00", true)
	step([]adapters.Change{{Kind: adapters.KindPrice, To: amount("9.00")}}, "9.00", "15.00", true)
	step([]adapters.Change{{Kind: adapters.KindCompareAt, To: amount("16.00")}, {Kind: adapters.KindPrice, To: amount("8.00")}}, "8.00", "16.00", true)
	step([]adapters.Change{{Kind: adapters.KindCompareAt, To: adapters.Null}}, "8.00", "(none)", false)
	if f.Calls("add_discount_item") != 2 || f.Calls("update_discount_item") != 1 || f.Calls("delete_discount_item") != 2 {
		t.Errorf("discount calls: add %d, update %d, delete %d", f.Calls("add_discount_item"), f.Calls("update_discount_item"), f.Calls("delete_discount_item"))
	}
	// A compare-at not above the price is refused before any call.
	ref := adaptertest.ObserveAll(t, c, nil)[sku].Ref
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: amount("8.00"), Ref: ref}})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "not above the price") {
		t.Errorf("compare_at equal to the price: %v", rs[0].Err)
	}
}

func TestCompareAtWithoutDiscountID(t *testing.T) {
	f, _, ls := seeded(t, 1)
	c := f.openWith(t, setupFor(t, strings.Replace(f.Config(""), "discount_id", "# discount_id", 1)))
	ref := adaptertest.ObserveAll(t, c, nil)[ls[0].SKU].Ref
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: amount("30.00"), Ref: ref},
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(3), Ref: ref},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "set discount_id") {
		t.Errorf("a compare_at without discount_id: %v", rs[0].Err)
	}
	if rs[1].Err != nil {
		t.Errorf("the quantity: %v", rs[1].Err)
	}
	// Removing a compare-at that is not there is nothing to do.
	rs = c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Null, Ref: ref}})
	if rs[0].Err != nil || f.Calls("update_price") != 0 {
		t.Errorf("no compare_at to remove: %v, %d update_price calls", rs[0].Err, f.Calls("update_price"))
	}
}

// Stock that is not the seller's is unmanaged, and its writes refused; a
// stock kept at one warehouse location is written there.
func TestUnmanagedAndLocatedStock(t *testing.T) {
	f, c, ls := seeded(t, 3)
	f.Edit(ls[0].SKU, "", true, nil)
	f.Edit(ls[1].SKU, "", false, map[string]int64{"SGZ": 3, "SGW": 4})
	f.Edit(ls[2].SKU, "", false, map[string]int64{"SGZ": 5})
	got := adaptertest.ObserveAll(t, c, nil)
	for _, sku := range []string{ls[0].SKU, ls[1].SKU} {
		if got[sku].Quantity.Valid {
			t.Errorf("%s: quantity %v observed as managed", sku, got[sku].Quantity)
		}
	}
	if q := got[ls[2].SKU].Quantity; q != (adapters.Quantity{Units: 5, Valid: true}) {
		t.Errorf("stock at one location: %v", q)
	}
	var changes []adapters.Change
	for _, l := range ls {
		changes = append(changes, adapters.Change{Key: l.Key, Kind: adapters.KindQuantity, To: adapters.Units(9), Ref: got[l.SKU].Ref})
	}
	rs := c.Apply(context.Background(), changes)
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "fulfilled by Shopee") {
		t.Errorf("FBS: %v", rs[0].Err)
	}
	if !errors.As(rs[1].Err, &rej) || !strings.Contains(rej.Reason, "split across warehouses") {
		t.Errorf("split stock: %v", rs[1].Err)
	}
	if rs[2].Err != nil {
		t.Errorf("located stock: %v", rs[2].Err)
	}
	if fl, _ := f.Listing(ls[2].SKU); fl.Stock != 9 {
		t.Errorf("located stock is %d", fl.Stock)
	}
}

// In a currency without minor units prices go as whole numbers.
func TestWholeCurrency(t *testing.T) {
	f := newFake(t)
	f.SetCurrency("IDR", 0)
	ls := adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_id", Scale: 0}, 1)
	ls[0].Price.Decimal = dec("150000")
	f.Seed(ls)
	s := setupFor(t, f.Config(""))
	s.Currency, s.Scale = "IDR", 0
	c := f.openWith(t, s)
	l := adaptertest.ObserveAll(t, c, nil)[ls[0].SKU]
	if adapters.Money(l.Price, 0).Text != "150000" {
		t.Errorf("price %v", l.Price)
	}
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindPrice, To: amount("149900"), Ref: l.Ref}})
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	reqs := f.Requests()
	if last := reqs[len(reqs)-1]; !strings.Contains(last, `"original_price":149900}`) {
		t.Errorf("the price sent: %s", last)
	}
	// A shop whose prices are in another currency than the spec's.
	s.Currency = "MYR"
	err := observeErr(f.openWith(t, s))
	var bad *adapters.BadResponseError
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "IDR") {
		t.Errorf("a currency mismatch: %v", err)
	}
}

func TestChangesRefusedBeforeSending(t *testing.T) {
	f, c, ls := seeded(t, 2)
	got := adaptertest.ObserveAll(t, c, nil)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(-1), Ref: got[ls[0].SKU].Ref},
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: amount("0"), Ref: got[ls[0].SKU].Ref},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "description", To: adapters.Text("x"), Ref: got[ls[0].SKU].Ref},
		{Key: ls[0].Key, Kind: adapters.KindCreate, Listing: &ls[0]},
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: "nonsense"},
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: got[ls[1].SKU].Ref},
	})
	for i, r := range rs {
		var rej *adapters.RejectedError
		if !errors.As(r.Err, &rej) {
			t.Errorf("change %d: %v, want a refusal", i, r.Err)
		}
	}
	if f.Calls("update_stock")+f.Calls("update_price")+f.Calls("update_item") != 0 {
		t.Error("a refused change was sent")
	}
}

// A change without a reference is found by its SKU; one to a SKU the shop
// lacks is refused.
func TestApplyWithoutReference(t *testing.T) {
	f, c, ls := seeded(t, 2)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(8)},
		{Key: adapters.Key{Channel: "shopee_sg", SKU: "NOPE-1"}, Kind: adapters.KindQuantity, To: adapters.Units(8)},
	})
	if rs[0].Err != nil {
		t.Errorf("by SKU: %v", rs[0].Err)
	}
	var rej *adapters.RejectedError
	if !errors.As(rs[1].Err, &rej) || !strings.Contains(rej.Reason, "not listed") {
		t.Errorf("an unknown SKU: %v", rs[1].Err)
	}
	if fl, _ := f.Listing(ls[1].SKU); fl.Stock != 8 {
		t.Errorf("stock %d", fl.Stock)
	}
}

// An expired access token is refreshed once, with the rotated refresh
// token the next time; without token_file the adapter warns once.
func TestTokenRefreshInMemory(t *testing.T) {
	f := newFake(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 2))
	s := setupFor(t, f.Config(""))
	log, buf := capture()
	s.Log = log
	c := f.openWith(t, s)
	adaptertest.ObserveAll(t, c, nil)
	if f.Calls("refresh_access_token") != 0 {
		t.Fatal("refreshed a valid token")
	}
	for round := 1; round <= 2; round++ {
		f.ExpireTokens()
		if got := adaptertest.ObserveAll(t, c, nil); len(got) != 2 {
			t.Fatalf("after expiry %d: %d listings", round, len(got))
		}
		if n := f.Calls("refresh_access_token"); n != round {
			t.Errorf("after expiry %d: %d refreshes", round, n)
		}
	}
	if n := strings.Count(buf.String(), "live in memory only"); n != 1 {
		t.Errorf("warned %d times about tokens in memory:\n%s", n, buf.String())
	}
	access, refresh := f.Tokens()
	noSecret(t, buf.String(), access, refresh)
}

// With token_file the rotated pair is kept (mode 0600) and preferred at
// the next start, when the environment's tokens are spent.
func TestTokenFile(t *testing.T) {
	f := newFake(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 1))
	s := setupFor(t, f.Config(`token_file = "tokens.json"`))
	c := f.openWith(t, s)
	f.ExpireTokens()
	adaptertest.ObserveAll(t, c, nil)
	path := filepath.Join(s.SpecDir, "tokens.json")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	var tf tokenFile
	raw, _ := os.ReadFile(path)
	if err := json.Unmarshal(raw, &tf); err != nil {
		t.Fatal(err)
	}
	access, refresh := f.Tokens()
	if tf.AccessToken != access || tf.RefreshToken != refresh || tf.ShopID != shopeetest.ShopID || tf.ExpiresAt.IsZero() {
		t.Errorf("token file %+v", tf)
	}
	// A restart reads the file: no refresh, although the environment's
	// access token expired and its refresh token is spent.
	c2 := f.openWith(t, s)
	adaptertest.ObserveAll(t, c2, nil)
	if n := f.Calls("refresh_access_token"); n != 1 {
		t.Errorf("%d refreshes after the restart, want the one before", n)
	}
	// The seller authorised again: the environment's new refresh token
	// wins over the file's, which came from the old one.
	if strings.Contains(string(raw), shopeetest.RefreshToken) {
		t.Error("the token file keeps the config's refresh token, not only its hash")
	}
	ts, err := newTokenSource(c2, Config{TokenFile: path, PartnerID: shopeetest.PartnerID, ShopID: shopeetest.ShopID,
		AccessToken: "fresh-access", RefreshToken: "fresh-refresh"}, c2.log)
	if err != nil || ts.access != "fresh-access" || ts.refreshTok != "fresh-refresh" {
		t.Errorf("a new authorisation: tokens %q %q, %v; want the environment's", ts.access, ts.refreshTok, err)
	}
	// Without the file, the spent refresh token is refused.
	c3 := f.open(t)
	err = observeErr(c3)
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "Invalid refresh_token") {
		t.Errorf("a spent refresh token: %v", err)
	}
	noSecret(t, err.Error(), access, refresh)
	f.ExpectInvalid() // the spent refresh token, on purpose
	// A token file it cannot read stops the open.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.HTTPClient = f.Client()
	if _, err := Open(t.Context(), s); err == nil || !strings.Contains(err.Error(), "not one accord wrote") {
		t.Errorf("a damaged token file: %v", err)
	}
}

// A token known to expire is refreshed before the call, not after a
// refusal.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	f, c, _ := seeded(t, 1)
	f.ExpireTokens()
	adaptertest.ObserveAll(t, c, nil)
	at := time.Now()
	c.wall = func() time.Time { return at }
	f.SetClock(func() time.Time { return at })
	adaptertest.ObserveAll(t, c, nil)
	calls := f.Calls("get_item_list")
	later := at.Add(4 * time.Hour)
	c.wall = func() time.Time { return later }
	f.SetClock(func() time.Time { return later })
	adaptertest.ObserveAll(t, c, nil)
	if f.Calls("refresh_access_token") != 2 || f.Calls("get_item_list") != calls+1 {
		t.Errorf("%d refreshes, %d reads: want the refresh before the read", f.Calls("refresh_access_token"), f.Calls("get_item_list")-calls)
	}
}

func TestRefreshRefused(t *testing.T) {
	f, c, ls := seeded(t, 1)
	f.RevokeTokens()
	f.ExpireTokens()
	err := observeErr(c)
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "authorise the app again") {
		t.Errorf("a revoked refresh token: %v", err)
	}
	noSecret(t, err.Error())
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(3), Ref: "100001"}})
	if !errors.As(rs[0].Err, &auth) {
		t.Errorf("apply with a revoked refresh token: %v", rs[0].Err)
	}
}

// A wrong partner key and a clock off by more than 5 minutes are refused
// by the fake as Shopee does, and reported as credentials refused.
func TestSignatureAndTimestampChecked(t *testing.T) {
	f, c, _ := seeded(t, 1)
	f.ExpectInvalid()
	c.cfg.PartnerKey = "not-the-key"
	err := observeErr(c)
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "error_sign") {
		t.Errorf("a wrong key: %v", err)
	}
	c.cfg.PartnerKey = shopeetest.PartnerKey
	c.wall = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	err = observeErr(c)
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "clock") {
		t.Errorf("a timestamp 6 minutes old: %v", err)
	}
	if n := len(f.Invalid()); n != 2 {
		t.Errorf("the fake refused %d requests, want 2: %v", n, f.Invalid())
	}
	c.wall = func() time.Time { return time.Now().Add(-4 * time.Minute) }
	if err := observeErr(c); err != nil {
		t.Errorf("a timestamp 4 minutes old: %v", err)
	}
}

func TestBadAnswers(t *testing.T) {
	html := `<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`
	for name, tc := range map[string]struct {
		status   int
		ct, body string
		check    func(error) bool
		say      string
	}{
		"html error page": {502, "text/html", html, is[*adapters.TemporaryError], "502 Bad Gateway"},
		"html with 200":   {200, "text/html", html, is[*adapters.BadResponseError], "502 Bad Gateway"},
		"truncated json":  {200, "application/json", `{"error":"","response":{"item":[{"item_id":1`, is[*adapters.BadResponseError], "item_id"},
		"no response":     {200, "application/json", `{"error":"","message":"","request_id":"r1"}`, is[*adapters.BadResponseError], "without a response"},
		"server error":    {500, "application/json", `{"error":"error_server","message":"Something wrong. Please try later.","request_id":"r2"}`, is[*adapters.TemporaryError], "r2"},
		"busy, 200":       {200, "application/json", `{"error":"product.error_inner","message":"Our system is taking some time to respond, please try later.","request_id":"r3"}`, is[*adapters.TemporaryError], "error_inner"},
		"throttled":       {429, "application/json", `{"error":"error_server","message":"Too many requests, please try again later","request_id":"r4"}`, is[*adapters.ThrottledError], "Too many"},
		"throttled, html": {429, "text/html", `<html>slow down</html>`, is[*adapters.ThrottledError], "slow down"},
		"no permission":   {403, "application/json", `{"error":"error_auth","message":"No permission to current api.","request_id":"r5"}`, is[*adapters.AuthError], "No permission"},
		"bad param":       {400, "application/json", `{"error":"product.error_param","message":"invalid field ItemId","request_id":"r6"}`, is[*adapters.RejectedError], "invalid field"},
		"next offset":     {200, "application/json", `{"error":"","response":{"item":[],"has_next_page":true,"next_offset":0}}`, is[*adapters.BadResponseError], "next_offset"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c, _ := seeded(t, 3)
			f.Fail(tc.status, "get_item_list", tc.ct, tc.body)
			err := observeErr(c)
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.say) {
				t.Errorf("Observe = %v, want it to say %q", err, tc.say)
			}
			if got := adaptertest.ObserveAll(t, c, nil); len(got) != 3 {
				t.Errorf("after the failure: %d listings", len(got))
			}
		})
	}
}

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// A throttled call pauses the account's bucket and stops the batch.
func TestThrottling(t *testing.T) {
	f, c, ls := seeded(t, 3)
	got := adaptertest.ObserveAll(t, c, nil)
	f.SetLimit("update_stock", rate.NewLimiter(0, 1))
	var changes []adapters.Change
	for _, l := range ls {
		changes = append(changes, adapters.Change{Key: l.Key, Kind: adapters.KindQuantity, To: adapters.Units(4), Ref: got[l.SKU].Ref})
	}
	rs := c.Apply(context.Background(), changes)
	if rs[0].Err != nil {
		t.Errorf("the first write: %v", rs[0].Err)
	}
	for _, r := range rs[1:] {
		if !is[*adapters.ThrottledError](r.Err) {
			t.Errorf("after the throttle: %v", r.Err)
		}
	}
	if f.Throttled() != 1 || f.Calls("update_stock") != 2 {
		t.Errorf("%d throttled of %d: the batch went on after the throttle", f.Throttled(), f.Calls("update_stock"))
	}
	if st := c.budget.Write.Stats(); st.Throttles != 1 {
		t.Errorf("the write bucket saw %d throttles", st.Throttles)
	}
}

// A transport failure never quotes the access token of the URL.
func TestTransportErrorScrubbed(t *testing.T) {
	f, _, _ := seeded(t, 1)
	s := setupFor(t, strings.Replace(f.Config(""), f.URL(), "http://127.0.0.1:1", 1))
	c := f.openWith(t, s)
	err := observeErr(c)
	if !is[*adapters.TemporaryError](err) {
		t.Fatalf("an unreachable host: %v", err)
	}
	noSecret(t, err.Error())
}

func TestObserveFilterAndPages(t *testing.T) {
	f, c, ls := seeded(t, 130)
	pages := 0
	err := c.Observe(context.Background(), nil, func(p []adapters.Listing) error {
		pages++
		if len(p) > pageSize {
			t.Errorf("a page of %d", len(p))
		}
		return nil
	})
	if err != nil || pages != 2 {
		t.Errorf("%d pages, %v", pages, err)
	}
	got := adaptertest.ObserveAll(t, c, []string{ls[129].SKU, "NOPE"})
	if len(got) != 1 {
		t.Errorf("filter: %v", got)
	}
	if f.Calls("get_item_list") != 4 || f.Calls("get_item_base_info") != 6 {
		t.Errorf("%d get_item_list, %d get_item_base_info calls", f.Calls("get_item_list"), f.Calls("get_item_base_info"))
	}
}

// TestRequestsGolden pins the exact requests of an observe and an apply
// (testdata/requests.golden; ACCORD_UPDATE_GOLDEN=1 rewrites it). The
// fake replaces the timestamp, signature and access token with
// placeholders.
func TestRequestsGolden(t *testing.T) {
	f, c, ls := seeded(t, 3)
	f.SeedVariants(adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 5)[3:])
	f.ExpireTokens()
	got := adaptertest.ObserveAll(t, c, nil)
	m := adaptertest.SKU(4)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(7), Ref: got[ls[0].SKU].Ref},
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: amount("25.99"), Ref: got[ls[0].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("New title"), Ref: got[ls[1].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "gtin", To: adapters.Text("04006381333931"), Ref: got[ls[1].SKU].Ref},
		{Key: ls[2].Key, Kind: adapters.KindCompareAt, To: amount("99.00"), Ref: got[ls[2].SKU].Ref},
		{Key: got[m].Key, Kind: adapters.KindQuantity, To: adapters.Units(2), Ref: got[m].Ref},
		{Key: got[m].Key, Kind: adapters.KindPrice, To: amount("13.50"), Ref: got[m].Ref},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	text := strings.Join(f.Requests(), "\n") + "\n"
	access, refresh := f.Tokens()
	noSecret(t, text, access, refresh)
	adaptertest.Golden(t, filepath.Join("testdata", "requests.golden"), text)
	if inv := f.Invalid(); len(inv) != 0 {
		t.Errorf("the fake refused requests: %v", inv)
	}
}
