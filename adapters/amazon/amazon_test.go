package amazon

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/amazon/amazontest"
)

func seeded(t *testing.T, n int, extra string) (*fake, *Channel, []adapters.Listing) {
	t.Helper()
	f := newFake(t)
	ls := adaptertest.Listings(adaptertest.Fixture{Channel: "amazon_us", Currency: "USD", Scale: 2}, n)
	f.Seed(ls)
	return f, f.open(t, extra), ls
}

// noSecret fails when err's text quotes a credential or an access token.
func noSecret(t *testing.T, err error) {
	t.Helper()
	adaptertest.NoSecret(t, err, testEnv["AMAZON_REFRESH_TOKEN"], testEnv["AMAZON_CLIENT_SECRET"], "Atza|")
}

func TestTokenCachedAndRefreshedWhenExpired(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	adaptertest.ObserveAll(t, c, nil)
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 1 {
		t.Errorf("%d token exchanges for two reads, want 1 (cached)", f.TokenCalls())
	}
	f.ExpireTokens()
	got := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})
	if f.TokenCalls() != 2 || len(got) != 1 {
		t.Errorf("after the token expired: %d exchanges, %d listings; want a refresh and the read", f.TokenCalls(), len(got))
	}
	// A 403 that does not say expired is not retried.
	f.Fail(403, "", "application/json", `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}`)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || f.TokenCalls() != 2 {
		t.Errorf("a plain 403: %v after %d exchanges, want an *AuthError and no refresh", err, f.TokenCalls())
	}
	noSecret(t, err)
}

func TestTokenRefused(t *testing.T) {
	f, c, ls := seeded(t, 1, "")
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

func TestBadAnswers(t *testing.T) {
	html := `<html><head><title>502 Bad Gateway</title></head><body>upstream</body></html>`
	for name, tc := range map[string]struct {
		status       int
		ct, body     string
		want         any
		wantInReason string
	}{
		"html error page": {502, "text/html", html, &adapters.TemporaryError{}, "502 Bad Gateway"},
		"html with 200":   {200, "text/html", html, &adapters.BadResponseError{}, "502 Bad Gateway"},
		"truncated json":  {200, "application/json", `{"numberOfResults": 3, "items": [{"sku": "AT-0`, &adapters.BadResponseError{}, "numberOfResults"},
		"server error":    {500, "application/json", `{"errors":[{"code":"InternalFailure","message":"We encountered an internal error."}]}`, &adapters.TemporaryError{}, "InternalFailure"},
		"throttled":       {429, "application/json", `{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]}`, &adapters.ThrottledError{}, "QuotaExceeded"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c, _ := seeded(t, 3, "")
			f.Fail(tc.status, "searchListingsItems", tc.ct, tc.body)
			err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
			if err == nil {
				t.Fatal("Observe succeeded")
			}
			var ok bool
			switch tc.want.(type) {
			case *adapters.TemporaryError:
				var e *adapters.TemporaryError
				ok = errors.As(err, &e)
			case *adapters.BadResponseError:
				var e *adapters.BadResponseError
				ok = errors.As(err, &e)
			case *adapters.ThrottledError:
				var e *adapters.ThrottledError
				ok = errors.As(err, &e) && e.RetryAfter > 0
			}
			if !ok || !strings.Contains(err.Error(), tc.wantInReason) {
				t.Errorf("Observe = %v, want a %T saying %q", err, tc.want, tc.wantInReason)
			}
			// The next read goes through.
			if got := adaptertest.ObserveAll(t, c, nil); len(got) != 3 {
				t.Errorf("after the failure: %d listings", len(got))
			}
		})
	}
}

func TestUnknownSKU(t *testing.T) {
	_, c, ls := seeded(t, 2, "")
	if got := adaptertest.ObserveAll(t, c, []string{"NOPE-1"}); len(got) != 0 {
		t.Errorf("an unknown SKU observed: %v", got)
	}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: adapters.Key{Channel: "amazon_us", SKU: "NOPE-1"}, Kind: adapters.KindPrice, To: adapters.Value{Text: "12.00", Set: true}},
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "12.00", Set: true}},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rs[0].Err.Error(), "not listed") {
		t.Errorf("a change to an unknown SKU: %v, want a *RejectedError saying it is not listed", rs[0].Err)
	}
	if rs[1].Err != nil {
		t.Errorf("the other change: %v", rs[1].Err)
	}
}

func TestPatchIssues(t *testing.T) {
	f, c, ls := seeded(t, 2, "")
	f.RejectAttribute("purchasable_offer", "'[purchasable_offer]' is not valid for this product type.")
	got := adaptertest.ObserveAll(t, c, nil)
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "12.00", Set: true}, Ref: got[ls[0].SKU].Ref},
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(9), Ref: got[ls[0].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(8), Ref: got[ls[1].SKU].Ref},
	})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "not valid for this product type") {
		t.Errorf("the refused price: %v", rs[0].Err)
	}
	if !errors.As(rs[1].Err, &rej) || !strings.Contains(rej.Reason, "another change") {
		t.Errorf("the quantity of the same INVALID submission: %v, want it refused too", rs[1].Err)
	}
	if rs[2].Err != nil {
		t.Errorf("another listing's change: %v", rs[2].Err)
	}
	after := adaptertest.ObserveAll(t, c, nil)
	if after[ls[0].SKU].Quantity != ls[0].Quantity || after[ls[1].SKU].Quantity.Units != 8 {
		t.Errorf("after apply: %v, %v", after[ls[0].SKU].Quantity, after[ls[1].SKU].Quantity)
	}
}

func TestFeedReportErrors(t *testing.T) {
	f, c, ls := seeded(t, 4, "feed_threshold = 2\n")
	f.RejectAttribute("item_name", "'[item_name]' is required but not supplied.")
	f.SetProcessPolls(3)
	got := adaptertest.ObserveAll(t, c, nil)
	changes := []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("A new title"), Ref: got[ls[0].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(5), Ref: got[ls[1].SKU].Ref},
		{Key: ls[2].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "19.99", Set: true}, Ref: got[ls[2].SKU].Ref},
		{Key: ls[3].Key, Kind: adapters.KindQuantity, To: adapters.Units(-1), Ref: got[ls[3].SKU].Ref},
	}
	rs := c.Apply(context.Background(), changes)
	sub := rs[0].Submission
	var rej *adapters.RejectedError
	if sub == "" || rs[1].Submission != sub || rs[2].Submission != sub || !errors.As(rs[3].Err, &rej) {
		t.Fatalf("Apply = %+v: want one feed for the first three, the negative quantity refused", rs)
	}
	if f.Calls("createFeed") != 1 {
		t.Errorf("%d feeds created", f.Calls("createFeed"))
	}
	// A restarted process asks, with the submitted changes.
	c2 := f.open(t, "feed_threshold = 2\n")
	var final []adapters.Result
	for i := 0; ; i++ {
		out, err := c2.Confirm(context.Background(), sub, changes[:3])
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Submission == "" {
			final = out
			break
		}
		if i > 10 {
			t.Fatal("the feed never finished")
		}
	}
	if !errors.As(final[0].Err, &rej) || !strings.Contains(rej.Reason, "required but not supplied") {
		t.Errorf("the refused title: %v", final[0].Err)
	}
	if final[1].Err != nil || final[2].Err != nil {
		t.Errorf("the accepted messages: %v, %v", final[1].Err, final[2].Err)
	}
	if f.Calls("createFeed") != 1 {
		t.Errorf("Confirm created a feed: %d", f.Calls("createFeed"))
	}
	after := adaptertest.ObserveAll(t, c2, nil)
	if after[ls[1].SKU].Quantity.Units != 5 || adapters.Money(after[ls[2].SKU].Price, 2).Text != "19.99" {
		t.Errorf("after the feed: %+v %+v", after[ls[1].SKU], after[ls[2].SKU])
	}
}

func TestFBAAndSuppressed(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	update := func(sku string, edit func(*amazontest.Item)) {
		it, _ := f.Listing(sku)
		edit(&it)
		f.Put(sku, it)
	}
	update(ls[0].SKU, func(it *amazontest.Item) { it.FBA = true })
	update(ls[1].SKU, func(it *amazontest.Item) {
		it.Issues = []amazontest.Issue{{Code: "18027", Message: "Listing suppressed: missing main image.", Severity: "ERROR"}}
	})
	update(ls[2].SKU, func(it *amazontest.Item) {
		it.Issues = []amazontest.Issue{{Code: "18448", Message: "Attributes are incomplete.", Severity: "WARNING"}}
	})
	got := adaptertest.ObserveAll(t, c, nil)
	if got[ls[0].SKU].Quantity.Valid {
		t.Errorf("an FBA listing's quantity observed as managed: %v", got[ls[0].SKU].Quantity)
	}
	if r := got[ls[0].SKU].Ref; r != "PRODUCT/AFN:"+adapters.Ref(ls[0].SKU) {
		t.Errorf("an FBA listing's ref %q", r)
	}
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(4), Ref: got[ls[0].SKU].Ref}})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || !strings.Contains(rej.Reason, "fulfilled by Amazon") {
		t.Errorf("a quantity for an FBA listing: %v, want it refused", rs[0].Err)
	}
	if s := got[ls[1].SKU].Status; s != "suppressed" {
		t.Errorf("a listing with an ERROR issue has status %q, want suppressed", s)
	}
	if s := got[ls[2].SKU].Status; s != "active" {
		t.Errorf("a listing with a WARNING has status %q, want active", s)
	}
	if r := got[ls[2].SKU].Ref; r != "PRODUCT:"+adapters.Ref(ls[2].SKU) {
		t.Errorf("ref %q", r)
	}
}

func TestPacingLearnsRateHeader(t *testing.T) {
	f, c, _ := seeded(t, 2, "")
	b := c.budget.Op(opSearchListingsItems.name, opSearchListingsItems.rate)
	if r := b.Rate(); float64(r.Limit) != 5 || r.Burst != 5 {
		t.Errorf("searchListingsItems starts at %+v, want the published 5/s burst 5", r)
	}
	f.SetRateHeader("2.5")
	adaptertest.ObserveAll(t, c, nil)
	if r := b.Rate(); float64(r.Limit) != 2.5 {
		t.Errorf("after x-amzn-RateLimit-Limit: 2.5, the bucket is at %+v", r)
	}
	if cf := c.budget.Op(opCreateFeed.name, opCreateFeed.rate).Rate(); float64(cf.Limit) != 0.0083 || cf.Burst != 15 {
		t.Errorf("createFeed paced at %+v", cf)
	}
}

// TestRequestsGolden pins the exact requests of an observe and an apply,
// by patch and by feed (testdata/requests.golden; ACCORD_UPDATE_GOLDEN=1
// rewrites it).
func TestRequestsGolden(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	offer := newOffer(f, "OFFER-1")
	fedOffer := newOffer(f, "OFFER-2")
	got := adaptertest.ObserveAll(t, c, []string{ls[0].SKU, ls[1].SKU})
	adaptertest.ObserveAll(t, c, []string{ls[0].SKU, ls[1].SKU, ls[2].SKU, "NOPE-1"})
	price := decimal.NullDecimal{Decimal: decimal.New(2599, -2), Valid: true}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Money(price, 2), Ref: got[ls[0].SKU].Ref},
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(7), Ref: got[ls[0].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("New title"), Ref: got[ls[1].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "99.00", Set: true}, Ref: got[ls[1].SKU].Ref},
		{Key: ls[2].Key, Kind: adapters.KindCompareAt, To: adapters.Null},
		{Key: offer.Key, Kind: adapters.KindCreate, Listing: &offer},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	c2 := f.open(t, "feed_threshold = 0\n")
	changes := []adapters.Change{
		{Key: ls[2].Key, Kind: adapters.KindQuantity, To: adapters.Units(4), Ref: got[ls[0].SKU].Ref[:len("PRODUCT:")] + adapters.Ref(ls[2].SKU)},
		{Key: fedOffer.Key, Kind: adapters.KindCreate, Listing: &fedOffer},
	}
	rs = c2.Apply(context.Background(), changes)
	for rs[0].Submission != "" {
		// Confirm is asked with the changes as the journal rebuilds them:
		// a creation without its listing.
		journaled := slices.Clone(changes)
		journaled[1].Listing = nil
		var err error
		if rs, err = c2.Confirm(context.Background(), rs[0].Submission, journaled); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rs {
		if r.Err != nil {
			t.Fatalf("feed change %d: %v", i, r.Err)
		}
	}
	for _, sku := range []string{offer.SKU, fedOffer.SKU} {
		if n := f.Creates(sku); n != 1 {
			t.Errorf("%s created %d times, want once", sku, n)
		}
	}
	text := strings.Join(f.Requests(), "\n") + "\n"
	adaptertest.Golden(t, filepath.Join("testdata", "requests.golden"), text)
}

// 10,000 price changes go as one feed: one createFeedDocument, one
// upload, one createFeed, and no patch.
func TestTenThousandChangesOneFeed(t *testing.T) {
	f, c, ls := seeded(t, 10000, "")
	changes := make([]adapters.Change, len(ls))
	for i := range ls {
		changes[i] = adapters.Change{Key: ls[i].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "49.00", Set: true}, Ref: adapters.Ref("PRODUCT:" + ls[i].SKU)}
	}
	if len(changes) > c.Limits().BatchSize {
		t.Fatalf("batch size %d under 10,000", c.Limits().BatchSize)
	}
	rs := c.Apply(context.Background(), changes)
	sub := rs[0].Submission
	for i, r := range rs {
		if r.Err != nil || r.Submission != sub || sub == "" {
			t.Fatalf("change %d: %+v", i, r)
		}
	}
	for rs[0].Submission != "" {
		var err error
		if rs, err = c.Confirm(context.Background(), sub, changes); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rs {
		if r.Err != nil {
			t.Fatalf("change %d: %v", i, r.Err)
		}
	}
	if f.Calls("createFeed") != 1 || f.Calls("createFeedDocument") != 1 || f.Calls("patchListingsItem") != 0 {
		t.Errorf("calls: %d createFeed, %d createFeedDocument, %d patchListingsItem; want one feed and no patch", f.Calls("createFeed"), f.Calls("createFeedDocument"), f.Calls("patchListingsItem"))
	}
	if it, _ := f.Listing(ls[9999].SKU); it.Price.Decimal.String() != "49" {
		t.Errorf("price after the feed: %s", it.Price.Decimal)
	}
}

func TestObserveSKUWithComma(t *testing.T) {
	f, c, ls := seeded(t, 5, "")
	odd := adapters.Listing{Key: adapters.Key{Channel: "amazon_us", SKU: "RED,XL"}, Quantity: adapters.Quantity{Units: 2, Valid: true}}
	f.Seed([]adapters.Listing{odd})
	skus := []string{ls[0].SKU, ls[1].SKU, ls[2].SKU, ls[3].SKU, "RED,XL"}
	got := adaptertest.ObserveAll(t, c, skus)
	if len(got) != 5 || got["RED,XL"].Quantity.Units != 2 {
		t.Errorf("observed %v", keysOf(got))
	}
}

func keysOf(m map[string]adapters.Listing) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTokenEndpointBadAnswers(t *testing.T) {
	for name, tc := range map[string]struct {
		status   int
		ct, body string
		check    func(error) bool
	}{
		"html page": {503, "text/html", "<html><body>Service Unavailable</body></html>", func(err error) bool {
			var e *adapters.TemporaryError
			return errors.As(err, &e) && strings.Contains(err.Error(), "Service Unavailable")
		}},
		"truncated json": {200, "application/json", `{"access_token":"Atza|tok`, func(err error) bool {
			var e *adapters.BadResponseError
			return errors.As(err, &e)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			lwa := httptestServer(t, tc.status, tc.ct, tc.body)
			s := setupFor(t, f.Config("")+"\n")
			s.HTTPClient = f.Client()
			c, err := Open(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			c.token.cfg.TokenEndpoint = lwa
			err = c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
			if !tc.check(err) {
				t.Errorf("Observe = %v", err)
			}
			noSecret(t, err)
		})
	}
}

func TestApplyThrottled(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	f.Fail(429, "patchListingsItem", "application/json", `{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]}`)
	var changes []adapters.Change
	for _, l := range ls {
		changes = append(changes, adapters.Change{Key: l.Key, Kind: adapters.KindQuantity, To: adapters.Units(1), Ref: adapters.Ref("PRODUCT:" + l.SKU)})
	}
	rs := c.Apply(context.Background(), changes)
	for i, r := range rs {
		var th *adapters.ThrottledError
		if !errors.As(r.Err, &th) {
			t.Errorf("change %d after a 429: %v, want a *ThrottledError", i, r.Err)
		}
	}
	if n := f.Calls("patchListingsItem"); n != 1 {
		t.Errorf("%d patches sent after a 429, want the rest held back", n)
	}
	if st := c.budget.Op(opPatchListingsItem.name, opPatchListingsItem.rate).Stats(); st.Throttles == 0 {
		t.Errorf("the 429 did not pause the operation: %+v", st)
	}
	// The expired token of a write is refreshed and the write sent again.
	f.ExpireTokens()
	if r := c.Apply(context.Background(), changes[:1])[0]; r.Err != nil {
		t.Errorf("a write with an expired token: %v", r.Err)
	}
	if _, err := c.Confirm(context.Background(), "99999", changes[:1]); err == nil || adapters.ReasonOf(err) != adapters.ReasonBadResponse {
		t.Errorf("confirming a feed Amazon does not know: %v", err)
	}
}

// The feed's messages are numbered from the changes submitted alone, so a
// change refused before sending does not shift the report onto another
// listing.
func TestFeedReportAfterARefusedChange(t *testing.T) {
	f, c, ls := seeded(t, 2, "feed_threshold = 0\n")
	f.RejectAttribute("list_price", "'[list_price]' is not valid.")
	a, b := ls[0], ls[1]
	changes := []adapters.Change{
		{Key: a.Key, Kind: adapters.KindQuantity, To: adapters.Units(3), Ref: adapters.Ref("PRODUCT:" + b.SKU)},
		{Key: b.Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "80.00", Set: true}, Ref: adapters.Ref("PRODUCT:" + b.SKU)},
		{Key: a.Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "30.00", Set: true}, Ref: adapters.Ref("PRODUCT:" + a.SKU)},
	}
	rs := c.Apply(context.Background(), changes)
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || rs[1].Submission == "" || rs[2].Submission == "" {
		t.Fatalf("Apply = %+v", rs)
	}
	submitted := []adapters.Change{changes[1], changes[2]}
	got := []adapters.Result{{Submission: rs[1].Submission}}
	for got[0].Submission != "" {
		var err error
		if got, err = c.Confirm(context.Background(), rs[1].Submission, submitted); err != nil {
			t.Fatal(err)
		}
	}
	if !errors.As(got[0].Err, &rej) || !strings.Contains(rej.Reason, "list_price") {
		t.Errorf("the refused list price: %v", got[0].Err)
	}
	if got[1].Err != nil {
		t.Errorf("the price of the other listing: %v", got[1].Err)
	}
}

// A steady apply by patch keeps to patchListingsItem's published 5/s
// (burst 5) and draws no 429 from a fake that enforces it.
func TestPatchPacingSteadyState(t *testing.T) {
	if testing.Short() {
		t.Skip("paces in real time")
	}
	const n = 15
	f, c, ls := seeded(t, n, "")
	f.SetRateHeader("5")
	f.SetLimit("patchListingsItem", rate.NewLimiter(5, 5))
	changes := make([]adapters.Change, n)
	for i, l := range ls {
		changes[i] = adapters.Change{Key: l.Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "21.00", Set: true}, Ref: adapters.Ref("PRODUCT:" + l.SKU)}
	}
	start := time.Now()
	for i, r := range c.Apply(context.Background(), changes) {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	took := time.Since(start)
	ideal := time.Duration(n-5) * time.Second / 5 // the burst, then 5/s
	if f.Throttled() != 0 {
		t.Errorf("%d answers of 429 in steady state", f.Throttled())
	}
	if took > ideal*10/9+300*time.Millisecond {
		t.Errorf("%d patches took %s; the published rate allows %s (90%% is %s)", n, took, ideal, ideal*10/9)
	}
	t.Logf("%d patches in %s (ideal %s)", n, took, ideal)
}

// newOffer is a listing to create on a product of the fake's catalog.
func newOffer(f *fake, sku string) adapters.Listing {
	l := adapters.Listing{
		Key:      adapters.Key{Channel: "amazon_us", SKU: sku},
		Quantity: adapters.Quantity{Units: 6, Valid: true},
		Price:    decimal.NullDecimal{Decimal: decimal.New(1995, -2), Valid: true},
		Currency: "USD",
		Fields:   []adapters.Field{{Name: "title", Value: "Offer " + sku}},
	}
	f.ProductFor(&l)
	return l
}

// A listing is created as an offer only where the catalog gives its ASIN;
// an ASIN Amazon does not know is refused with Amazon's issue, and nothing
// is created.
func TestOfferOnlyCreate(t *testing.T) {
	f, c, _ := seeded(t, 0, "")
	ok := newOffer(f, "OFFER-1")
	priceless := ok
	priceless.Price = decimal.NullDecimal{}
	tests := []struct {
		name    string
		ids     []adapters.Field
		l       adapters.Listing
		wantWhy string
	}{
		{"asin", ok.Identifiers, ok, ""},
		{"none", nil, ok, "gives no ASIN"},
		{"gtin only", []adapters.Field{{Name: "gtin", Value: "04006381333931"}}, ok, "gives no ASIN"},
		{"malformed", []adapters.Field{{Name: "asin", Value: "b0-short"}}, ok, "not ten capital letters"},
		{"no price", ok.Identifiers, priceless, "no price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.l
			l.Identifiers = tt.ids
			why := c.CannotCreate(&l)
			if (tt.wantWhy == "") != (why == "") || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("CannotCreate = %q, want %q", why, tt.wantWhy)
			}
		})
	}
	unknown := newOffer(f, "OFFER-2")
	unknown.Identifiers = []adapters.Field{{Name: "asin", Value: "B0NOSUCH00"}}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ok.Key, Kind: adapters.KindCreate, Listing: &ok},
		{Key: unknown.Key, Kind: adapters.KindCreate, Listing: &unknown},
	})
	if rs[0].Err != nil {
		t.Errorf("creating %s: %v", ok.SKU, rs[0].Err)
	}
	var rej *adapters.RejectedError
	if !errors.As(rs[1].Err, &rej) || !strings.Contains(rej.Reason, "B0NOSUCH00 does not exist") {
		t.Errorf("creating on an unknown ASIN: %v, want Amazon's issue", rs[1].Err)
	}
	got := adaptertest.ObserveAll(t, c, []string{ok.SKU, unknown.SKU})
	if _, there := got[unknown.SKU]; there {
		t.Errorf("%s was created on an unknown ASIN", unknown.SKU)
	}
	l := got[ok.SKU]
	if l.Price.Decimal.StringFixed(2) != "19.95" || l.Quantity.Units != 6 {
		t.Errorf("the created offer: %+v", l)
	}
	if title, _ := l.Field("title"); title != "Offer OFFER-1" {
		t.Errorf("the created offer shows title %q, the product's", title)
	}
}

// openAt opens the adapter on f with its clock at now.
func (f *fake) openAt(t *testing.T, now time.Time, extra string) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(extra))
	s.HTTPClient = f.Client()
	s.Now = func() time.Time { return now }
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A promotion's price goes as discounted_price with the promotion's window
// next to the regular our_price, in one patch for the price and the
// compare-at; observed inside the window it is the price over the regular
// compare-at, and after it the regular price again, with no write. A
// regular price sent later drops the sale.
func TestSaleScheduled(t *testing.T) {
	f, _, ls := seeded(t, 2, "")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	during := f.openAt(t, now, "")
	sale := &adapters.Sale{Promotion: "bfcm", Price: decimal.RequireFromString("8.00"), Regular: decimal.RequireFromString("10.00"),
		Starts: now.Add(-time.Hour), Ends: now.Add(48 * time.Hour)}
	before := adaptertest.ObserveAll(t, during, []string{ls[0].SKU})[ls[0].SKU]
	before.Ref = adapters.Ref("PRODUCT:" + ls[0].SKU)
	rs := during.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "8.00", Set: true}, Ref: before.Ref, Sale: sale},
		{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "10.00", Set: true}, Ref: before.Ref, Sale: sale},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Fatalf("change %d: %v", i, r.Err)
		}
	}
	reqs := f.Requests()
	last := reqs[len(reqs)-1]
	for _, want := range []string{`"discounted_price":[{"schedule":[{"end_at":"2026-12-02T12:00:00Z","start_at":"2026-11-30T11:00:00Z","value_with_tax":8}]}]`, `"our_price":[{"schedule":[{"value_with_tax":10}]}]`} {
		if !strings.Contains(last, want) {
			t.Errorf("the patch does not carry %s:\n%s", want, last)
		}
	}
	if n := strings.Count(last, "purchasable_offer"); n != 1 {
		t.Errorf("the patch sets purchasable_offer %d times, want once for both changes:\n%s", n, last)
	}
	check := func(c *Channel, price, compareAt string) {
		t.Helper()
		l := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})[ls[0].SKU]
		if got := adapters.Money(l.Price, 2).String() + " " + adapters.Money(l.CompareAt, 2).String(); got != price+" "+compareAt {
			t.Errorf("observed price and compare-at %s, want %s %s", got, price, compareAt)
		}
	}
	check(during, "8.00", "10.00")
	check(f.openAt(t, sale.Ends, ""), "10.00", "(none)")
	check(f.openAt(t, sale.Starts.Add(-time.Second), ""), "10.00", "(none)")

	// A regular price replaces the whole offer: the sale is gone.
	rs = during.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "9.50", Set: true}, Ref: before.Ref}})
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	check(during, "9.50", "(none)")

	// A sale that is not under the regular price is refused unsent.
	bad := *sale
	bad.Price = decimal.RequireFromString("12.00")
	sent := len(f.Requests())
	rs = during.Apply(context.Background(), []adapters.Change{{Key: ls[1].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "12.00", Set: true}, Ref: adapters.Ref("PRODUCT:" + ls[1].SKU), Sale: &bad}})
	var rej *adapters.RejectedError
	if !errors.As(rs[0].Err, &rej) || len(f.Requests()) != sent {
		t.Errorf("a sale over its regular price: %v, %d requests sent", rs[0].Err, len(f.Requests())-sent)
	}
}
