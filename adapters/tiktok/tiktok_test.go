package tiktok

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/tiktok/tiktoktest"
)

// seeded is a fake with n conformance listings and an adapter on it.
func seeded(t *testing.T, n int) (*fake, *Channel, []adapters.Listing) {
	t.Helper()
	f := newFake(t)
	ls := adaptertest.Listings(adaptertest.Fixture{Channel: "tiktok_us", Currency: "USD", Scale: 2}, n)
	f.Seed(ls)
	return f, f.open(t), ls
}

func amountOf(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

// twoSKUs puts a product of two SKUs on the fake.
func twoSKUs(f *fake) tiktoktest.Product {
	return f.Put(tiktoktest.Product{Title: "Tee", Description: "<p>Cotton</p>", SKUs: []tiktoktest.SKU{
		{SellerSKU: "TEE-S", Price: decimal.RequireFromString("12.5"), Inventory: map[string]int64{tiktoktest.WarehouseID: 4, "other": 9}, CodeType: "UPC", Code: "012345678905"},
		{SellerSKU: "TEE-M", Price: decimal.RequireFromString("13"), ListPrice: decimal.NullDecimal{Decimal: decimal.RequireFromString("20"), Valid: true}, Inventory: map[string]int64{tiktoktest.WarehouseID: 6}},
	}})
}

func TestObserveProduct(t *testing.T) {
	f := newFake(t)
	p := twoSKUs(f)
	c := f.open(t)
	got := adaptertest.ObserveAll(t, c, nil)
	s := got["TEE-S"]
	want := adapters.Listing{
		Key: adapters.Key{Channel: "tiktok_us", SKU: "TEE-S"}, Quantity: adapters.Quantity{Units: 4, Valid: true},
		Price: decimal.NullDecimal{Decimal: decimal.RequireFromString("12.5"), Valid: true}, Currency: "USD", Status: "active",
		Fields: []adapters.Field{{Name: "description", Value: "<p>Cotton</p>"}, {Name: "title", Value: "Tee"}, {Name: "upc", Value: "012345678905"}},
		Ref:    ref(p.ID, p.SKUs[0].ID, "TEE-S"),
	}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("TEE-S (-want +got):\n%s", d)
	}
	if m := got["TEE-M"]; !m.CompareAt.Valid || m.CompareAt.Decimal.String() != "20" || m.Quantity.Units != 6 {
		t.Errorf("TEE-M: %+v", m)
	}
	if f.Calls(tiktoktest.OpGetProduct) != 1 {
		t.Errorf("%d product reads for one product", f.Calls(tiktoktest.OpGetProduct))
	}
	// A filter reads the SKUs asked for, not the product's others.
	if got := adaptertest.ObserveAll(t, c, []string{"TEE-M"}); len(got) != 1 {
		t.Errorf("a filter of TEE-M read %d listings", len(got))
	}
}

// One price update and one inventory update per product, with every SKU
// of the product changed; a list price alone goes with the SKU's price.
func TestApplyGroupsByProduct(t *testing.T) {
	f := newFake(t)
	twoSKUs(f)
	c := f.open(t)
	got := adaptertest.ObserveAll(t, c, nil)
	s, m := got["TEE-S"], got["TEE-M"]
	rs := c.Apply(t.Context(), []adapters.Change{
		{Key: s.Key, Kind: adapters.KindPrice, To: amountOf("11.00"), Ref: s.Ref},
		{Key: m.Key, Kind: adapters.KindCompareAt, To: amountOf("25.00"), Ref: m.Ref},
		{Key: s.Key, Kind: adapters.KindQuantity, To: adapters.Units(2), Ref: s.Ref},
		{Key: m.Key, Kind: adapters.KindQuantity, To: adapters.Units(3), Ref: m.Ref},
		{Key: m.Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("Tee shirt"), Ref: m.Ref},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	for op, want := range map[string]int{tiktoktest.OpUpdatePrice: 1, tiktoktest.OpUpdateInventory: 1, tiktoktest.OpPartialEdit: 1} {
		if n := f.Calls(op); n != want {
			t.Errorf("%s called %d times, want %d", op, n, want)
		}
	}
	ls, _ := f.Listing("TEE-S")
	lm, _ := f.Listing("TEE-M")
	if ls.Price.Decimal.String() != "11" || ls.Quantity.Units != 2 || lm.Quantity.Units != 3 ||
		lm.Price.Decimal.String() != "13" || lm.CompareAt.Decimal.String() != "25" {
		t.Errorf("after apply: %+v %+v", ls, lm)
	}
	if title, _ := lm.Field("title"); title != "Tee shirt" {
		t.Errorf("title %q", title)
	}
	p, _ := f.Product(strings.Split(string(s.Ref), ":")[0])
	if p.SKUs[0].Inventory["other"] != 9 {
		t.Error("another warehouse's quantity moved")
	}
}

// A change without a reference (a plan from before) finds its SKU by a
// search; one the shop lacks is refused alone.
func TestApplyWithoutRef(t *testing.T) {
	f, c, ls := seeded(t, 2)
	rs := c.Apply(t.Context(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(8)},
		{Key: adapters.Key{Channel: "tiktok_us", SKU: "NOPE"}, Kind: adapters.KindQuantity, To: adapters.Units(1)},
	})
	var rej *adapters.RejectedError
	if rs[0].Err != nil || !errors.As(rs[1].Err, &rej) {
		t.Fatalf("results %+v", rs)
	}
	if l, _ := f.Listing(ls[0].SKU); l.Quantity.Units != 8 {
		t.Errorf("quantity %v", l.Quantity)
	}
}

func TestApplyRefusesWhatTikTokCannotTake(t *testing.T) {
	f, c, ls := seeded(t, 1)
	k := ls[0].Key
	for name, ch := range map[string]adapters.Change{
		"quantity over the limit": {Key: k, Kind: adapters.KindQuantity, To: adapters.Units(100000)},
		"no price":                {Key: k, Kind: adapters.KindPrice},
		"zero price":              {Key: k, Kind: adapters.KindPrice, To: amountOf("0.00")},
		"list price removed":      {Key: k, Kind: adapters.KindCompareAt, From: amountOf("20.00")},
		"gtin":                    {Key: k, Kind: adapters.KindField, Field: "gtin", To: adapters.Text("1")},
		"title removed":           {Key: k, Kind: adapters.KindField, Field: "title"},
		"create":                  {Key: k, Kind: adapters.KindCreate, Listing: &ls[0]},
		"wrong reference":         {Key: k, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: "1:2:00000000"},
	} {
		t.Run(name, func(t *testing.T) {
			var rej *adapters.RejectedError
			if r := c.Apply(t.Context(), []adapters.Change{ch})[0]; !errors.As(r.Err, &rej) {
				t.Errorf("result %v, want a *RejectedError", r.Err)
			}
		})
	}
	if n := f.Calls(tiktoktest.OpUpdateInventory) + f.Calls(tiktoktest.OpUpdatePrice) + f.Calls(tiktoktest.OpPartialEdit); n != 0 {
		t.Errorf("%d writes sent for changes refused before sending", n)
	}
}

// An inventory update that TikTok refuses for one SKU fails that change
// alone.
func TestInventoryPartialFailure(t *testing.T) {
	f := newFake(t)
	twoSKUs(f)
	c := f.open(t)
	got := adaptertest.ObserveAll(t, c, nil)
	f.RejectInventory("TEE-S", "The SKU is under review.")
	rs := c.Apply(t.Context(), []adapters.Change{
		{Key: got["TEE-S"].Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: got["TEE-S"].Ref},
		{Key: got["TEE-M"].Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: got["TEE-M"].Ref},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "under review") || rs[1].Err != nil {
		t.Fatalf("results %v, %v", rs[0].Err, rs[1].Err)
	}
	if m, _ := f.Listing("TEE-M"); m.Quantity.Units != 1 {
		t.Errorf("TEE-M quantity %v", m.Quantity)
	}
}

// Failures of the whole call, each typed by what the caller does next.
func TestFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		status    int
		ct, body  string
		check     func(error) bool
		wantInMsg string
	}{
		"throttled": {429, "application/json", `{"code":36009002,"message":"Too many requests","request_id":"r1"}`,
			func(err error) bool {
				var e *adapters.ThrottledError
				return errors.As(err, &e) && e.RetryAfter == defaultPause
			}, "36009002"},
		"rate code on 200": {200, "application/json", `{"code":36009002,"message":"Too many requests"}`,
			func(err error) bool { var e *adapters.ThrottledError; return errors.As(err, &e) }, "Too many"},
		"internal": {200, "application/json", `{"code":36009003,"message":"Internal error, please retry"}`,
			func(err error) bool { var e *adapters.TemporaryError; return errors.As(err, &e) }, "retry"},
		"proxy page": {502, "text/html", "<html><body>Bad Gateway</body></html>",
			func(err error) bool { var e *adapters.TemporaryError; return errors.As(err, &e) }, "Bad Gateway"},
		"truncated": {200, "application/json", `{"code":0,"data":{"products":[`,
			func(err error) bool { var e *adapters.BadResponseError; return errors.As(err, &e) }, "products"},
		"no scope": {200, "application/json", `{"code":105005,"message":"Access denied. This app has not been granted any access scope required by this endpoint."}`,
			func(err error) bool { var e *adapters.AuthError; return errors.As(err, &e) }, "scope"},
		"business": {200, "application/json", `{"code":12052230,"message":"Invalid price"}`,
			func(err error) bool { var e *adapters.RejectedError; return errors.As(err, &e) }, "12052230"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c, _ := seeded(t, 1)
			if name == "throttled" {
				f.Fail(tc.status, tiktoktest.OpSearchProducts, tc.ct, tc.body)
			} else {
				f.Fail(tc.status, "", tc.ct, tc.body)
			}
			err := c.Observe(t.Context(), nil, func([]adapters.Listing) error { return nil })
			if !tc.check(err) || !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Errorf("Observe = %v (%T)", err, errors.Unwrap(err))
			}
		})
	}
}

func TestThrottledApplyPausesTheBudget(t *testing.T) {
	f, c, ls := seeded(t, 1)
	c.budget = adapters.NewBudgets(nil).For("throttle", defaultRate, defaultRate)
	f.FailCode(http.StatusTooManyRequests, tiktoktest.OpUpdateInventory, codeRateLimit, "Too many requests")
	obs := adaptertest.ObserveAll(t, c, nil)[ls[0].SKU]
	r := c.Apply(t.Context(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: obs.Ref}})[0]
	var thr *adapters.ThrottledError
	if !errors.As(r.Err, &thr) || thr.RetryAfter != defaultPause {
		t.Fatalf("result %v, want a *ThrottledError after %s", r.Err, defaultPause)
	}
	if st := c.budget.Write.Stats(); st.Throttles != 1 {
		t.Errorf("the write bucket was paused %d times", st.Throttles)
	}
}

// An expired access token is refreshed once, and the call goes again.
func TestExpiredTokenRefreshedOnce(t *testing.T) {
	f, c, _ := seeded(t, 2)
	adaptertest.ObserveAll(t, c, nil)
	f.ExpireTokens()
	if got := adaptertest.ObserveAll(t, c, nil); len(got) != 2 {
		t.Fatalf("observed %d listings after the token expired", len(got))
	}
	if n := f.Calls(tiktoktest.OpTokenRefresh); n != 2 {
		t.Errorf("%d token refreshes, want 2 (the first, and one after the expiry)", n)
	}
}

// A refused refresh token is an AuthError that quotes no credential.
func TestRefusedRefreshToken(t *testing.T) {
	f, c, _ := seeded(t, 1)
	f.RefuseTokens(true)
	err := c.Observe(t.Context(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) {
		t.Fatalf("Observe = %v, want an *AuthError", err)
	}
	for _, secret := range []string{tiktoktest.AppSecret, tiktoktest.RefreshToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error quotes a secret: %v", err)
		}
	}
}

// A transport failure of the token refresh (whose URL carries the
// secrets) quotes none of them.
func TestTokenTransportErrorIsScrubbed(t *testing.T) {
	f := newFake(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	s := setupFor(t, f.Config("")+"\n", f.Env())
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	c.token.cfg.AuthEndpoint = dead.URL
	err = c.Observe(t.Context(), nil, func([]adapters.Listing) error { return nil })
	var tmp *adapters.TemporaryError
	if !errors.As(err, &tmp) {
		t.Fatalf("Observe = %v, want a *TemporaryError", err)
	}
	for _, secret := range []string{tiktoktest.AppSecret, tiktoktest.RefreshToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error quotes a secret: %v", err)
		}
	}
}

// A token given in the config is used until TikTok says it expired.
func TestConfigAccessToken(t *testing.T) {
	f, _, _ := seeded(t, 1)
	env := f.Env()
	env["TIKTOK_ACCESS_TOKEN"] = "ROW_stale"
	s := setupFor(t, f.Config(`access_token = env("TIKTOK_ACCESS_TOKEN")`), env)
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if got := adaptertest.ObserveAll(t, c, nil); len(got) != 1 {
		t.Fatalf("observed %d", len(got))
	}
	if n := f.Calls(tiktoktest.OpTokenRefresh); n != 1 {
		t.Errorf("%d refreshes, want 1 after the configured token was refused", n)
	}
}

func deliver(t *testing.T, c *Channel, h http.Header, body []byte) error {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), "POST", "/api/hooks/channel/tiktok_us", strings.NewReader(string(body)))
	r.Header = h.Clone()
	_, err := c.Receive(t.Context(), r, body)
	return err
}

// watch runs Watch and returns its events' channel and a stop, once Watch
// runs (a probe event pushed before is dropped; one pushed after comes
// back).
func watch(t *testing.T, c *Channel) (<-chan adapters.Event, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	evs := make(chan adapters.Event, 16)
	probes := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Watch(ctx, func(e adapters.Event) {
			if e.Channel == "probe" {
				select {
				case probes <- struct{}{}:
				default:
				}
				return
			}
			evs <- e
		})
	}()
	for running := false; !running; {
		c.hooks.Push(adapters.Event{Channel: "probe"})
		select {
		case <-probes:
			running = true
		case <-time.After(time.Millisecond):
		}
	}
	return evs, func() { cancel(); <-done }
}

func TestWebhooks(t *testing.T) {
	f, c, ls := seeded(t, 3)
	evs, stop := watch(t, c)
	defer stop()
	h, body := f.OrderHook(ls[2].SKU, 2)
	if err := deliver(t, c, h, body); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	e := <-evs
	if e.SKU != ls[2].SKU || e.Kind != adapters.EventOrder || e.Units != 2 || e.Channel != "tiktok_us" || e.At.IsZero() {
		t.Errorf("event %+v", e)
	}
	if l, _ := f.Listing(ls[2].SKU); l.Quantity.Units != 0 {
		t.Errorf("the fake's quantity after an order of 2 of 2: %v", l.Quantity)
	}
	h, body = f.ProductHook(ls[1].SKU)
	if err := deliver(t, c, h, body); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if e := <-evs; e.SKU != ls[1].SKU || e.Kind != adapters.EventListing {
		t.Errorf("product event %+v", e)
	}

	h, body = f.OrderHook(ls[1].SKU, 1)
	orders := f.Calls(tiktoktest.OpGetOrders)
	bad := map[string]func() (http.Header, []byte){
		"missing": func() (http.Header, []byte) { x := h.Clone(); x.Del("Authorization"); return x, body },
		"wrong": func() (http.Header, []byte) {
			x := h.Clone()
			x.Set("Authorization", strings.Repeat("0", 64))
			return x, body
		},
		"tampered": func() (http.Header, []byte) {
			return h, []byte(strings.Replace(string(body), `"order_status"`, `"order_status" `, 1))
		},
	}
	for name, mk := range bad {
		hh, bb := mk()
		if err := deliver(t, c, hh, bb); !errors.Is(err, adapters.ErrBadSignature) {
			t.Errorf("%s signature: %v, want ErrBadSignature", name, err)
		}
	}
	if f.Calls(tiktoktest.OpGetOrders) != orders {
		t.Error("a refused delivery read the order")
	}
	select {
	case e := <-evs:
		t.Errorf("a refused delivery gave %+v", e)
	default:
	}
	// A delivery of a type accord does not read gives nothing.
	other := []byte(`{"type":4,"shop_id":"1","timestamp":1,"data":{"package_id":"9"}}`)
	hh := http.Header{"Authorization": {WebhookSignature(tiktoktest.AppKey, tiktoktest.AppSecret, other)}}
	if err := deliver(t, c, hh, other); err != nil {
		t.Errorf("a package delivery: %v", err)
	}
}

func TestCancelledOrderIsAListingEvent(t *testing.T) {
	c := &Channel{name: "tiktok_us", log: adapters.Setup{}.Logger()}
	at := time.Unix(1700000000, 0)
	var os []order
	os = append(os, order{ID: "9", CreateTime: 1600000000})
	os[0].LineItems = append(os[0].LineItems, struct {
		ID        string `json:"id"`
		SKUID     string `json:"sku_id"`
		ProductID string `json:"product_id"`
		SellerSKU string `json:"seller_sku"`
	}{SellerSKU: "A"})
	got := c.eventsOf(os, "9", true, at)
	want := []adapters.Event{{Channel: "tiktok_us", SKU: "A", Kind: adapters.EventListing, At: at}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// The fake refuses what TikTok would, in TikTok's envelope: the adapter's
// requests never trigger that (every other test fails on one).
func TestFakeRefusesBadRequests(t *testing.T) {
	f, c, _ := seeded(t, 1)
	f.AllowInvalid()
	tok, err := c.token.get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	send := func(q string, body string) int {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", f.URL()+"/product/202309/products/search?"+q, strings.NewReader(body))
		req.Header.Set("x-tts-access-token", tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	ts := time.Now().Unix()
	good := func(body string, extra ...string) string {
		q := map[string][]string{"app_key": {tiktoktest.AppKey}, "shop_cipher": {tiktoktest.ShopCipher}, "page_size": {"100"}, "timestamp": {itoa(ts)}}
		for i := 0; i+1 < len(extra); i += 2 {
			q[extra[i]] = []string{extra[i+1]}
		}
		q["sign"] = []string{Sign(tiktoktest.AppSecret, "/product/202309/products/search", q, []byte(body))}
		return encode(q)
	}
	if code := send(good("{}"), "{}"); code != 200 {
		t.Fatalf("a good request answered %d", code)
	}
	for name, tc := range map[string]struct {
		q, body string
		status  int
	}{
		"tampered body": {good("{}"), `{"seller_skus":["X"]}`, 401},
		"bad body":      {good(`{"skus":1}`), `{"skus":1}`, 400},
		"page size":     {good("{}", "page_size", "500"), "{}", 400},
		"stale":         {good("{}", "timestamp", itoa(ts-600)), "{}", 400},
		"extra param":   {good("{}", "access_token", "x"), "{}", 400},
	} {
		if code := send(tc.q, tc.body); code != tc.status {
			t.Errorf("%s: answered %d, want %d", name, code, tc.status)
		}
	}
	if f.Invalid() != 5 {
		t.Errorf("%d requests counted invalid, want 5", f.Invalid())
	}
}

// Every request the adapter sends, for a read, a filtered read, a write of
// each kind and an order webhook (testdata/requests.golden;
// ACCORD_UPDATE_GOLDEN=1 rewrites it). No credential appears in it.
func TestRequestsGolden(t *testing.T) {
	f, c, ls := seeded(t, 2)
	twoSKUs(f)
	got := adaptertest.ObserveAll(t, c, nil)
	adaptertest.ObserveAll(t, c, []string{ls[1].SKU, "TEE-M", "NOPE"})
	s, m := got["TEE-S"], got["TEE-M"]
	c.Apply(t.Context(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(7), Ref: got[ls[0].SKU].Ref},
		{Key: s.Key, Kind: adapters.KindPrice, To: amountOf("11.00"), Ref: s.Ref},
		{Key: m.Key, Kind: adapters.KindCompareAt, To: amountOf("25.00"), Ref: m.Ref},
		{Key: m.Key, Kind: adapters.KindField, Field: "description", To: adapters.Text("<p>Organic cotton</p>"), Ref: m.Ref},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(1)},
	})
	h, body := f.OrderHook("TEE-S", 1)
	if err := deliver(t, c, h, body); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(f.Requests(), "\n") + "\n"
	// IDs are the fake's counters, stable run to run; order IDs too.
	for _, secret := range []string{tiktoktest.AppSecret, tiktoktest.RefreshToken, "ROW_access-"} {
		if strings.Contains(text, secret) {
			t.Errorf("a credential is in the requests: %s", secret)
		}
	}
	adaptertest.Golden(t, filepath.Join("testdata", "requests.golden"), text)
	if f.Invalid() != 0 {
		t.Errorf("%d requests the fake refused", f.Invalid())
	}
}

// The fake's rate limit answers 429 with code 36009002: a throttled read.
func TestFakeThrottles(t *testing.T) {
	f, c, _ := seeded(t, 3)
	f.SetLimit(rate.NewLimiter(rate.Every(time.Hour), 2))
	err := c.Observe(t.Context(), nil, func([]adapters.Listing) error { return nil })
	var thr *adapters.ThrottledError
	if !errors.As(err, &thr) || f.Throttled() != 1 {
		t.Errorf("Observe = %v after %d throttled requests, want a *ThrottledError after 1", err, f.Throttled())
	}
	f.SetLimit(nil)
	// The throttled answer paused the read bucket for a second: a fresh
	// budget, rather than a test that waits.
	c.budget = adapters.NewBudgets(nil).For("after", adapters.Unlimited, adapters.Unlimited)
	if got := adaptertest.ObserveAll(t, c, nil); len(got) != 3 {
		t.Errorf("observed %d after the limit was lifted", len(got))
	}
}
