package walmart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/walmart/walmarttest"
)

var fixture = adaptertest.Fixture{Channel: "walmart_us", Currency: "USD", Scale: 2}

func seeded(t *testing.T, n int, extra string, mod ...func(*adapters.Setup)) (*fake, *Channel, []adapters.Listing) {
	t.Helper()
	f := newFake(t)
	ls := adaptertest.Listings(fixture, n)
	f.Seed(ls)
	return f, f.open(t, extra, mod...), ls
}

// noSecret fails when err's text quotes a credential or an access token.
func noSecret(t *testing.T, err error) {
	t.Helper()
	adaptertest.NoSecret(t, err, walmarttest.ClientSecret, walmarttest.ClientID, "fake-access-")
}

// settle confirms the submissions of rs until none is pending.
func settle(t *testing.T, c *Channel, changes []adapters.Change, rs []adapters.Result) []adapters.Result {
	t.Helper()
	bySub := map[string][]int{}
	for i, r := range rs {
		if r.Submission != "" {
			bySub[r.Submission] = append(bySub[r.Submission], i)
		}
	}
	out := append([]adapters.Result(nil), rs...)
	for sub, idx := range bySub {
		queued := make([]adapters.Change, len(idx))
		for k, i := range idx {
			queued[k] = changes[i]
		}
		for attempt := 0; ; attempt++ {
			got, err := c.Confirm(context.Background(), sub, queued)
			if err != nil {
				t.Fatalf("Confirm(%s): %v", sub, err)
			}
			pending := false
			for k, r := range got {
				out[idx[k]] = r
				pending = pending || r.Submission != ""
			}
			if !pending {
				break
			}
			if attempt > 20 {
				t.Fatalf("%s still processing", sub)
			}
		}
	}
	return out
}

func TestTokenCachedAndRefreshedWhenExpired(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	adaptertest.ObserveAll(t, c, nil)
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 1 {
		t.Errorf("%d token requests for two reads, want 1 (cached)", f.TokenCalls())
	}
	f.ExpireTokens()
	got := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})
	if f.TokenCalls() != 2 || len(got) != 1 {
		t.Errorf("after the token expired: %d token requests, %d listings; want a refresh and the read", f.TokenCalls(), len(got))
	}
	// A 401 that does not say expired is not retried.
	f.Fail(401, "", "application/json", `{"errors":[{"code":"UNAUTHORIZED.GMP_GATEWAY_API","description":"Unauthorized","severity":"ERROR","category":"DATA"}]}`)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || f.TokenCalls() != 2 {
		t.Errorf("a plain 401: %v after %d token requests, want an *AuthError and no refresh", err, f.TokenCalls())
	}
	noSecret(t, err)
}

// The token is refreshed a minute before its 15 minutes end, by the
// adapter's clock.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f, c, _ := seeded(t, 2, "", func(s *adapters.Setup) { s.Now = clock })
	f.SetClock(clock)
	adaptertest.ObserveAll(t, c, nil)
	mu.Lock()
	now = now.Add(14*time.Minute + 1*time.Second)
	mu.Unlock()
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 2 {
		t.Errorf("%d token requests, want a new token within the last minute of the first", f.TokenCalls())
	}
}

func TestTokenRefused(t *testing.T) {
	f, c, ls := seeded(t, 1, "")
	f.Fail(401, "tokenAPI", "application/json", `{"error":[{"code":"INVALID_CLIENT","description":"client `+walmarttest.ClientID+` is not known"}]}`)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) {
		t.Errorf("refused credentials: %v, want an *AuthError", err)
	}
	noSecret(t, err)
	f.Fail(400, "tokenAPI", "application/json", `{"error":"invalid_grant","error_description":"bad `+walmarttest.ClientSecret+`"}`)
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(3)}})
	if !errors.As(rs[0].Err, &auth) {
		t.Errorf("apply with refused credentials: %v", rs[0].Err)
	}
	noSecret(t, rs[0].Err)
}

func TestBadAnswers(t *testing.T) {
	html := `<html><head><title>502 Bad Gateway</title></head><body>upstream</body></html>`
	for name, tc := range map[string]struct {
		status   int
		ct, body string
		check    func(error) bool
		says     string
	}{
		"html error page": {502, "text/html", html, func(e error) bool { var x *adapters.TemporaryError; return errors.As(e, &x) }, "502 Bad Gateway"},
		"html with 200":   {200, "text/html", html, func(e error) bool { var x *adapters.BadResponseError; return errors.As(e, &x) }, "502 Bad Gateway"},
		"truncated json":  {200, "application/json", `{"ItemResponse":[{"sku":"AT-0`, func(e error) bool { var x *adapters.BadResponseError; return errors.As(e, &x) }, "ItemResponse"},
		"server error": {500, "application/json", `{"errors":[{"code":"SYSTEM_ERROR.GMP_GATEWAY_API","description":"Internal error","category":"SYSTEM"}]}`,
			func(e error) bool { var x *adapters.TemporaryError; return errors.As(e, &x) }, "SYSTEM_ERROR"},
		"throttled": {429, "application/json", `{"errors":[{"code":"REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API","description":"Too many requests"}]}`,
			func(e error) bool { var x *adapters.ThrottledError; return errors.As(e, &x) && x.RetryAfter > 0 }, "REQUEST_THRESHOLD_VIOLATED"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c, _ := seeded(t, 3, "")
			f.Fail(tc.status, "getAllItems", tc.ct, tc.body)
			err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Observe = %v, want it classified and saying %q", err, tc.says)
			}
			if got := adaptertest.ObserveAll(t, c, nil); len(got) != 3 {
				t.Errorf("after the failure: %d listings", len(got))
			}
		})
	}
}

func TestObserve(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	f.Put("UNPUB-1", walmarttest.Item{GTIN: "00886859944807", Title: "Carhartt Men's Rugged Vest", Status: "UNPUBLISHED", Quantity: 4,
		Price: decimal.RequireFromString("59.99"), Comparison: decimal.NullDecimal{Decimal: decimal.RequireFromString("79.99"), Valid: true}})
	got := adaptertest.ObserveAll(t, c, nil)
	want := adapters.Listing{
		Key: adapters.Key{Channel: "walmart_us", SKU: "UNPUB-1"}, Currency: "USD", Status: "unpublished",
		Quantity:  adapters.Quantity{Units: 4, Valid: true},
		Price:     decimal.NullDecimal{Decimal: decimal.RequireFromString("59.99"), Valid: true},
		CompareAt: decimal.NullDecimal{Decimal: decimal.RequireFromString("79.99"), Valid: true},
		Fields:    []adapters.Field{{Name: "gtin", Value: "00886859944807"}, {Name: "title", Value: "Carhartt Men's Rugged Vest"}},
		Ref:       "00886859944807:UNPUB-1",
	}
	if d := cmp.Diff(want, got["UNPUB-1"]); d != "" {
		t.Errorf("UNPUB-1 (-want +got):\n%s", d)
	}
	if l := got[ls[1].SKU]; l.Status != "published" || l.Ref != adapters.Ref("04006380000001:"+ls[1].SKU) {
		t.Errorf("%s: %+v", ls[1].SKU, l)
	}
	if got := adaptertest.ObserveAll(t, c, []string{"UNPUB-1", "NOPE"}); len(got) != 1 || !got["UNPUB-1"].CompareAt.Decimal.Equal(want.CompareAt.Decimal) {
		t.Errorf("a filtered read: %+v", got)
	}
	// Without promotions read, the compare-at is not known and no call is
	// made for it.
	before := f.Calls("getPromotionalPrices")
	c2 := f.open(t, "read_promotions = false\n")
	if got := adaptertest.ObserveAll(t, c2, nil); got["UNPUB-1"].CompareAt.Valid || f.Calls("getPromotionalPrices") != before {
		t.Errorf("read_promotions = false still read promotions")
	}
}

// A sale goes as a promotional price that Walmart starts and ends itself:
// the reduced price shows inside its window only, by Walmart's clock.
func TestSaleAsPromotion(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	f, c, ls := seeded(t, 2, "", func(s *adapters.Setup) { s.Now = clock })
	f.SetClock(clock)
	sale := &adapters.Sale{Promotion: "spring", Price: decimal.RequireFromString("8.00"), Regular: decimal.RequireFromString("11.00"),
		Starts: now.Add(time.Hour), Ends: now.Add(49 * time.Hour)}
	changes := []adapters.Change{
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "8.00", Set: true}, Sale: sale},
		{Key: ls[1].Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "11.00", Set: true}, Sale: sale},
	}
	for i, r := range c.Apply(context.Background(), changes) {
		if r.Err != nil || r.Submission != "" {
			t.Errorf("change %d: %+v", i, r)
		}
	}
	if n := f.Calls("updatePromotionalPrices"); n != 1 {
		t.Errorf("%d promotional price calls for the sale's two changes, want 1", n)
	}
	for _, tc := range []struct {
		at           time.Time
		price, cmpAt string
	}{
		{now, "11.00", ""},
		{now.Add(2 * time.Hour), "8.00", "11.00"},
		{now.Add(50 * time.Hour), "11.00", ""},
	} {
		set(tc.at)
		l := adaptertest.ObserveAll(t, c, []string{ls[1].SKU})[ls[1].SKU]
		if g := adapters.Money(l.Price, 2).Text; g != tc.price || adapters.Money(l.CompareAt, 2).Text != tc.cmpAt {
			t.Errorf("at %s: price %s compare-at %s, want %s and %q", tc.at, g, adapters.Money(l.CompareAt, 2), tc.price, tc.cmpAt)
		}
	}
	bad := *sale
	bad.Price = decimal.RequireFromString("12.00")
	r := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "12.00", Set: true}, Sale: &bad}})
	var rej *adapters.RejectedError
	if !errors.As(r[0].Err, &rej) {
		t.Errorf("a sale above the regular price: %v, want a rejection", r[0].Err)
	}
}

// A refused SKU fails alone, in a single call and in a feed.
func TestPartialFailure(t *testing.T) {
	for _, extra := range []string{"", "feed_threshold = 0\n"} {
		f, c, ls := seeded(t, 3, extra)
		f.Reject(ls[1].SKU, "Item is retired")
		changes := []adapters.Change{
			{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(10)},
			{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(11)},
			{Key: ls[2].Key, Kind: adapters.KindQuantity, To: adapters.Units(12)},
			{Key: adapters.Key{Channel: "walmart_us", SKU: "NOT-SET-UP"}, Kind: adapters.KindQuantity, To: adapters.Units(1)},
		}
		rs := settle(t, c, changes, c.Apply(context.Background(), changes))
		for i, r := range rs {
			var rej *adapters.RejectedError
			if (i == 1 || i == 3) != errors.As(r.Err, &rej) {
				t.Errorf("%q change %d: %v", extra, i, r.Err)
			}
		}
		if it, _ := f.Listing(ls[2].SKU); it.Quantity != 12 {
			t.Errorf("%q: quantity %d after a batch with a refused SKU", extra, it.Quantity)
		}
		if extra != "" && f.Feeds("inventory") != 1 {
			t.Errorf("%d inventory feeds", f.Feeds("inventory"))
		}
	}
}

// The lead's benchmark: 20,000 quantity changes go in at most two feeds and
// land, confirmed through the Confirmer.
func TestTwentyThousandQuantitiesInTwoFeeds(t *testing.T) {
	const n = 20_000
	f := newFake(t)
	ls := adaptertest.Listings(fixture, n)
	f.Seed(ls)
	c := f.open(t, "")
	changes := make([]adapters.Change, n)
	for i := range changes {
		changes[i] = adapters.Change{Key: ls[i].Key, Kind: adapters.KindQuantity, From: adapters.QuantityValue(ls[i].Quantity), To: adapters.Units(int64(100 + i%50))}
	}
	size := c.Limits().BatchSize
	for start := 0; start < n; start += size {
		batch := changes[start:min(start+size, n)]
		for i, r := range settle(t, c, batch, c.Apply(context.Background(), batch)) {
			if r.Err != nil {
				t.Fatalf("change %d: %v", start+i, r.Err)
			}
		}
	}
	if got := f.Feeds("inventory"); got > 2 {
		t.Errorf("%d inventory feeds for %d changes, want at most 2", got, n)
	}
	for _, i := range []int{0, 9_999, 10_000, n - 1} {
		if it, _ := f.Listing(ls[i].SKU); it.Quantity != int64(100+i%50) {
			t.Errorf("%s: quantity %d", ls[i].SKU, it.Quantity)
		}
	}
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (k *testClock) Now() time.Time { k.mu.Lock(); defer k.mu.Unlock(); return k.now }
func (k *testClock) Add(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = k.now.Add(d)
}

// Applies that wait for a feed slot at once share one feed, the last value
// of a SKU winning; one that gives up takes its changes back.
func TestWaitingAppliesMergeIntoOneFeed(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	budgets := adapters.NewBudgets(clk.Now)
	f, c, ls := seeded(t, 8, "feed_threshold = 0\n", func(s *adapters.Setup) { s.Budgets = budgets })
	f.SetClock(clk.Now)
	ctx := context.Background()
	// The hour's ten inventory feeds.
	for i := range walmarttest.FeedsPerHour {
		ch := []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(int64(i))}}
		if r := c.Apply(ctx, ch); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
	q := c.feeds["inventory"]
	waiting := func(n int) {
		t.Helper()
		for i := 0; ; i++ {
			q.mu.Lock()
			got := 0
			if q.open != nil {
				got = len(q.open.waiters)
			}
			q.mu.Unlock()
			if got == n {
				return
			}
			if i > 1_000_000 {
				t.Fatalf("%d applies wait for the feed slot, want %d", got, n)
			}
			runtime.Gosched()
		}
	}
	type applied struct {
		i  int
		rs []adapters.Result
	}
	results := make(chan applied, 4)
	batches := [][]adapters.Change{
		{{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(11)}, {Key: ls[2].Key, Kind: adapters.KindQuantity, To: adapters.Units(12)}},
		{{Key: ls[2].Key, Kind: adapters.KindQuantity, To: adapters.Units(22)}, {Key: ls[3].Key, Kind: adapters.KindQuantity, To: adapters.Units(23)}},
	}
	for i, b := range batches {
		go func() { results <- applied{i, c.Apply(ctx, b)} }()
		waiting(i + 1)
	}
	// One that gives up while it waits takes its change back.
	quit, cancel := context.WithCancel(ctx)
	go func() {
		results <- applied{2, c.Apply(quit, []adapters.Change{{Key: ls[4].Key, Kind: adapters.KindQuantity, To: adapters.Units(99)}})}
	}()
	waiting(3)
	cancel()
	if r := <-results; r.i != 2 || !errors.Is(r.rs[0].Err, context.Canceled) {
		t.Fatalf("the apply that gave up: %+v", r)
	}
	// An hour on, the slot is free: wake the waiting bucket.
	clk.Add(time.Hour)
	c.budget.Op("feed:inventory", feedRate).Learn(feedRate)
	got := map[int][]adapters.Result{}
	for range batches {
		r := <-results
		got[r.i] = r.rs
	}
	sub := got[0][0].Submission
	for i, rs := range got {
		for k, r := range rs {
			if r.Err != nil || r.Submission != sub || sub == "" {
				t.Errorf("apply %d change %d: %+v, want the shared submission %q", i, k, r, sub)
			}
		}
	}
	if n := f.Feeds("inventory"); n != walmarttest.FeedsPerHour+1 {
		t.Errorf("%d inventory feeds, want the waiting applies in one more", n)
	}
	all := append(append([]adapters.Change(nil), batches[0]...), batches[1]...)
	for i, r := range settle(t, c, all, append(append([]adapters.Result(nil), got[0]...), got[1]...)) {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	for k, want := range map[int]int64{1: 11, 2: 22, 3: 23, 4: ls[4].Quantity.Units} {
		if it, _ := f.Listing(ls[k].SKU); it.Quantity != want {
			t.Errorf("%s: quantity %d, want %d", ls[k].SKU, it.Quantity, want)
		}
	}
	feeds := f.FeedList()
	if last := feeds[len(feeds)-1]; last.Items != 3 {
		t.Errorf("the merged feed has %d items, want 3 (SKU 2 once)", last.Items)
	}
}

// Walmart refuses an 11th inventory feed within the hour with 429: the
// adapter reports it throttled and holds its feeds.
func TestFeedLimitThrottles(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f, c, ls := seeded(t, 2, "feed_threshold = 0\n")
	f.SetClock(clk.Now)
	ctx := context.Background()
	one := []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(5)}}
	for range walmarttest.FeedsPerHour {
		if r := c.Apply(ctx, one); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
	// Another process on the same account: its own budget, same hour.
	other := f.open(t, "feed_threshold = 0\n")
	r := other.Apply(ctx, one)
	var thr *adapters.ThrottledError
	if !errors.As(r[0].Err, &thr) || thr.RetryAfter < 6*time.Minute {
		t.Fatalf("an 11th feed within the hour: %+v, want throttled for a slot's time", r[0])
	}
	if st := other.budget.Op("feed:inventory", feedRate).Stats(); st.Throttles != 1 {
		t.Errorf("the feed bucket was not paused: %+v", st)
	}
	clk.Add(time.Hour)
	third := f.open(t, "feed_threshold = 0\n")
	if r := third.Apply(ctx, one); r[0].Err != nil || r[0].Submission == "" {
		t.Errorf("an hour later: %+v", r[0])
	}
}

// Throttling of a single call pauses that operation and says how long.
func TestThrottledCall(t *testing.T) {
	f, c, ls := seeded(t, 2, "")
	f.SetLimit("updateInventoryForAnItem", rate.NewLimiter(0, 1))
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(1)},
		{Key: ls[1].Key, Kind: adapters.KindQuantity, To: adapters.Units(2)},
	})
	var thr *adapters.ThrottledError
	if rs[0].Err != nil || !errors.As(rs[1].Err, &thr) || thr.RetryAfter != time.Second {
		t.Errorf("results %+v, want the second throttled for the Retry-After", rs)
	}
}

// Every change kind, and what is refused before sending.
func TestApplyKinds(t *testing.T) {
	f, c, ls := seeded(t, 6, "")
	changes := []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "50.00", Set: true}},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "21.00", Set: true}},
		{Key: ls[1].Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "30.00", Set: true}},
		{Key: ls[2].Key, Kind: adapters.KindField, Field: "description", To: adapters.Text("x")},
		{Key: ls[3].Key, Kind: adapters.KindCreate, Listing: &ls[3]},
		{Key: ls[4].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("New title")},
		{Key: ls[5].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "0.00", Set: true}},
	}
	rs := settle(t, c, changes, c.Apply(context.Background(), changes))
	var rej *adapters.RejectedError
	for i, r := range rs {
		if refused := i == 3 || i == 4 || i == 6; refused != errors.As(r.Err, &rej) {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	got := adaptertest.ObserveAll(t, c, nil)
	if l := got[ls[0].SKU]; adapters.Money(l.CompareAt, 2).Text != "50.00" || !l.Price.Decimal.Equal(ls[0].Price.Decimal) {
		t.Errorf("a compare-at alone: %+v", l)
	}
	if l := got[ls[1].SKU]; adapters.Money(l.Price, 2).Text != "21.00" || adapters.Money(l.CompareAt, 2).Text != "30.00" {
		t.Errorf("price and compare-at: %+v", l)
	}
	l4 := got[ls[4].SKU]
	if v, _ := l4.Field("title"); v != "New title" {
		t.Errorf("title %q", v)
	}
	// Removing the compare-at.
	rm := []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Null}}
	if r := c.Apply(context.Background(), rm); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if l := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})[ls[0].SKU]; l.CompareAt.Valid {
		t.Errorf("compare-at still %s after its removal", l.CompareAt.Decimal)
	}
	if n := f.Feeds("MP_MAINTENANCE"); n != 1 {
		t.Errorf("%d maintenance feeds for one title", n)
	}
}

// The fake refuses what Walmart would: a request without the WM_ headers,
// a reused correlation ID, a body outside the schema, each with 400 in
// Walmart's error shape. The adapter never triggers it: every test fails
// when it does (see walmarttest.New).
func TestFakeRefusesMalformedRequests(t *testing.T) {
	f, c, _ := seeded(t, 1, "")
	f.AllowInvalid()
	adaptertest.ObserveAll(t, c, nil)
	tok, err := c.token.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body string, mod func(http.Header)) (int, string) {
		req, err := http.NewRequestWithContext(context.Background(), method, f.URL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		c.headers(req, tok)
		req.Header.Set("Content-Type", "application/json")
		if mod != nil {
			mod(req.Header)
		}
		resp, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, resp.StatusCode)
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		return resp.StatusCode, string(buf[:n])
	}
	for name, tc := range map[string]struct {
		method, path, body string
		mod                func(http.Header)
	}{
		"no service name":    {"GET", "/v3/items?nextCursor=*", "", func(h http.Header) { h.Del("WM_SVC.NAME") }},
		"no correlation":     {"GET", "/v3/items?nextCursor=*", "", func(h http.Header) { h.Del("WM_QOS.CORRELATION_ID") }},
		"reused correlation": {"GET", "/v3/items?nextCursor=*", "", func(h http.Header) { h.Set("WM_QOS.CORRELATION_ID", "fixed") }},
		"no token":           {"GET", "/v3/items?nextCursor=*", "", func(h http.Header) { h.Del("WM_SEC.ACCESS_TOKEN") }},
		"unknown parameter":  {"GET", "/v3/items?nextCursor=*&pageSize=9", "", nil},
		"page too big":       {"GET", "/v3/items?nextCursor=*&limit=51", "", nil},
		"body outside":       {"PUT", "/v3/price", `{"sku":"AT-00000","pricing":[{"currentPriceType":"BASE","currentPrice":{"currency":"USD","amount":1}}],"extra":1}`, nil},
		"float quantity":     {"PUT", "/v3/inventory?sku=AT-00000", `{"sku":"AT-00000","quantity":{"unit":"EACH","amount":1.5}}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "reused correlation" {
				send(tc.method, tc.path, tc.body, tc.mod)
			}
			code, body := send(tc.method, tc.path, tc.body, tc.mod)
			if code != 400 || !strings.Contains(body, `"errors":[{"category":"REQUEST"`) {
				t.Errorf("answered %d %s, want 400 in Walmart's error shape", code, body)
			}
		})
	}
	if len(f.Violations()) == 0 {
		t.Error("the fake recorded no violation")
	}
}

// The requests of a session, as the golden file has them (update with
// ACCORD_UPDATE_GOLDEN=1).
func TestRequestsGolden(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f, c, ls := seeded(t, 4, "ship_node = \""+walmarttest.ShipNode+"\"\n", func(s *adapters.Setup) { s.Now = clk.Now })
	f.SetClock(clk.Now)
	ctx := context.Background()
	adaptertest.ObserveAll(t, c, []string{ls[0].SKU, "NOPE-1"})
	adaptertest.ObserveAll(t, c, nil)
	sale := &adapters.Sale{Price: decimal.RequireFromString("9.50"), Regular: decimal.RequireFromString("12.00"),
		Starts: clk.Now().Add(time.Hour), Ends: clk.Now().Add(25 * time.Hour)}
	small := []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(7), Ref: "04006380000000:" + adapters.Ref(ls[0].SKU)},
		{Key: ls[0].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "25.99", Set: true}},
		{Key: ls[1].Key, Kind: adapters.KindCompareAt, To: adapters.Value{Text: "99.00", Set: true}},
		{Key: ls[2].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "9.50", Set: true}, Sale: sale},
		{Key: ls[3].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("New title")},
	}
	settle(t, c, small, c.Apply(ctx, small))
	big := f.open(t, "feed_threshold = 1\nship_node = \""+walmarttest.ShipNode+"\"\n")
	// One feed type an apply: an apply's feeds go at once, in no order.
	for _, feed := range [][]adapters.Change{{
		{Key: ls[2].Key, Kind: adapters.KindQuantity, To: adapters.Units(4)},
		{Key: ls[3].Key, Kind: adapters.KindQuantity, To: adapters.Units(0)},
	}, {
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: adapters.Value{Text: "19.95", Set: true}},
		{Key: ls[0].Key, Kind: adapters.KindCompareAt, To: adapters.Null},
	}} {
		settle(t, big, feed, big.Apply(ctx, feed))
	}
	got := strings.Join(f.Requests(), "\n") + "\n"
	adaptertest.Golden(t, filepath.Join("testdata", "requests.golden"), got)
	for _, s := range []string{walmarttest.ClientSecret, walmarttest.ClientID, "fake-access-"} {
		if strings.Contains(got, s) {
			t.Errorf("the requests quote a secret")
		}
	}
}

// A SKU kept at several ship nodes cannot be managed without ship_node:
// writes go to one node, so a sum of all would never settle. A full read
// says so as a config error naming the nodes; with ship_node it reads that
// node alone.
func TestSeveralShipNodes(t *testing.T) {
	f, c, ls := seeded(t, 3, "")
	it, _ := f.Listing(ls[1].SKU)
	it.OtherNodes = map[string]int64{"20000000001": 40}
	f.Put(ls[1].SKU, it)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var cfg *adapters.ConfigError
	if !errors.As(err, &cfg) || !strings.Contains(err.Error(), "20000000001") || !strings.Contains(err.Error(), "ship_node") {
		t.Fatalf("Observe = %v, want a config error naming the nodes and ship_node", err)
	}
	c = f.open(t, fmt.Sprintf("ship_node = %q\n", walmarttest.ShipNode))
	var got []adapters.Listing
	if err := c.Observe(context.Background(), nil, func(p []adapters.Listing) error { got = append(got, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, l := range got {
		if l.SKU == ls[1].SKU && l.Quantity.Units != ls[1].Quantity.Units {
			t.Errorf("%s at ship_node: %d, want %d", l.SKU, l.Quantity.Units, ls[1].Quantity.Units)
		}
	}
}
