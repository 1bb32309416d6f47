package walmarttest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apitest"
)

// The credentials the fake accepts, the ship node it keeps inventory at and
// the webhook secret it signs deliveries with. Made up.
const (
	ClientID      = "walmart-client-0123"
	ClientSecret  = "walmart-s3cr3t-client"
	WebhookSecret = "walmart-hook-s3cr3t"
	ShipNode      = "10000003527"
	// WebhookHeader is the header the fake signs deliveries in: the
	// adapter's default webhook_header.
	WebhookHeader = "Authorization"
)

// The limits the fake enforces, as Walmart documents them.
const (
	// MaxPageSize is the most items or inventories one page carries
	// (getAllItems' and getMultiNodeInventoryForAllSkuAndAllShipNodes'
	// limit "cannot be more than 50").
	MaxPageSize = 50
	// MaxDetails is the most items one feed status read carries.
	MaxDetails = 50
	// FeedsPerHour is how many feeds of one type Walmart takes an hour.
	FeedsPerHour = 10
)

// Item is one item on the fake.
type Item struct {
	GTIN  string
	Title string
	// Status is the publishedStatus: PUBLISHED, UNPUBLISHED...
	Status string
	// Quantity is the quantity at ShipNode.
	Quantity int64
	// OtherNodes are quantities at other ship nodes of the seller's, by
	// node: shown by getMultiNodeInventoryForAllSkuAndAllShipNodes, never
	// written by accord.
	OtherNodes map[string]int64
	// Price is the BASE price, Comparison its comparison price.
	Price      decimal.Decimal
	Comparison decimal.NullDecimal
	Promos     []Promo
}

// Promo is a promotional price: a REDUCED price over a comparison price from
// Starts until Ends.
type Promo struct {
	Price, Comparison decimal.Decimal
	Starts, Ends      time.Time
}

func (it Item) clone() Item {
	it.Promos = slices.Clone(it.Promos)
	it.OtherNodes = maps.Clone(it.OtherNodes)
	return it
}

// promoAt is the promotion in effect at t.
func (it *Item) promoAt(t time.Time) (Promo, bool) {
	for _, p := range it.Promos {
		if !t.Before(p.Starts) && t.Before(p.Ends) {
			return p, true
		}
	}
	return Promo{}, false
}

// Feed is what the fake knows of one feed.
type Feed struct {
	ID, Type string
	// Status is RECEIVED, INPROGRESS or PROCESSED.
	Status string
	// Items is how many entries the feed file had.
	Items int
	// Polls is how many status reads asked for it.
	Polls   int
	entries []feedEntry
	results []itemResult
}

type feedEntry struct {
	sku     string
	apply   func(it *Item) // nil: refused
	problem string
}

type itemResult struct {
	SKU    string
	Status string
	Error  string
}

// Server is a fake Walmart Marketplace API on one httptest server. Its
// methods are safe to call while a client runs.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	now          func() time.Time
	items        map[string]*Item
	tokens       map[string]time.Time
	nextToken    int
	correlations map[string]bool
	feeds        map[string]*Feed
	feedOrder    []string
	feedTimes    map[string][]time.Time // feed type -> submissions, by the fake's clock
	processPolls int
	hold         bool
	reject       map[string]string // sku -> why its writes are refused
	nextID       int
	// windows are each operation's calls left and when they are
	// replenished (see SetWindow).
	windows map[string]*window
	sizes   map[string]windowSize // op ("" for the rest) -> its window
	// api keeps the failures, limits, counts, request log and the
	// malformed requests refused.
	api apitest.Ledger
}

// New starts a fake with no items, closed when the test ends. Its clock is
// time.Now until SetClock. A feed answers INPROGRESS to its first status
// read and PROCESSED to the next. A test in which the adapter sent a request
// the fake refused as malformed fails (see AllowInvalid).
func New(t testing.TB) *Server {
	f := &Server{
		t: t, now: time.Now,
		items:        map[string]*Item{},
		tokens:       map[string]time.Time{},
		correlations: map[string]bool{},
		feeds:        map[string]*Feed{},
		feedTimes:    map[string][]time.Time{},
		reject:       map[string]string{},
		processPolls: 1,
		windows:      map[string]*window{},
		sizes:        map[string]windowSize{"": {DefaultWindowCalls, DefaultWindowPeriod}},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.Close()
		if bad := f.api.Unallowed(); len(bad) > 0 {
			t.Errorf("the fake Walmart API refused %d malformed requests:\n%s", len(bad), strings.Join(bad, "\n"))
		}
	})
	return f
}

// URL is the API's base URL: a channel's endpoint.
func (f *Server) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Server) Client() *http.Client { return f.srv.Client() }

// Config is a channel config block body pointing at the fake, with the
// credentials and the webhook secret through env("WALMART_CLIENT_ID"),
// env("WALMART_CLIENT_SECRET") and env("WALMART_WEBHOOK_SECRET"), and extra
// lines appended.
func (f *Server) Config(extra string) string {
	return fmt.Sprintf(`client_id      = env("WALMART_CLIENT_ID")
client_secret  = env("WALMART_CLIENT_SECRET")
webhook_secret = env("WALMART_WEBHOOK_SECRET")
endpoint       = %q
%s`, f.srv.URL, extra)
}

// Env is the environment the variables of Config read.
func (f *Server) Env() map[string]string { return Env() }

// Env is the environment the variables of Config read.
func Env() map[string]string {
	return map[string]string{
		"WALMART_CLIENT_ID":      ClientID,
		"WALMART_CLIENT_SECRET":  ClientSecret,
		"WALMART_WEBHOOK_SECRET": WebhookSecret,
	}
}

// SetClock sets the fake's clock: promotion windows, token expiry, the
// hourly feed limits and each operation's window (SetWindow) run on it.
func (f *Server) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// The window of an operation SetWindow has not sized: more calls than
// any test makes.
const (
	DefaultWindowCalls  = 100_000
	DefaultWindowPeriod = time.Minute
)

type windowSize struct {
	calls  int
	period time.Duration
}

// window is one operation's token bucket: left calls until end, when it is
// refilled whole.
type window struct {
	left int
	end  time.Time
}

// SetWindow sizes operation op's window ("" for every operation without
// one of its own): calls calls, refilled whole every period by the fake's
// clock from the first call. Every business answer carries
// X-Current-Token-Count (the calls left in the window) and
// X-Next-Replenishment-Time (its end, in epoch milliseconds rounded up);
// a call with none left is answered 429 with Retry-After. The window in
// course starts again at the new size.
func (f *Server) SetWindow(op string, calls int, period time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sizes[op] = windowSize{calls, period}
	if op == "" {
		clear(f.windows)
		return
	}
	delete(f.windows, op)
}

// Window says how many calls op has left in its window and when the
// window ends (zero before its first call).
func (f *Server) Window(op string) (left int, end time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w := f.windows[op]; w != nil && f.now().Before(w.end) {
		return w.left, w.end
	}
	return f.size(op).calls, time.Time{}
}

// size is op's window size. f.mu is held.
func (f *Server) size(op string) windowSize {
	if sz, ok := f.sizes[op]; ok {
		return sz
	}
	return f.sizes[""]
}

// spend takes a call from op's window and sets the rate-limit headers; with
// none left it answers 429 and says so. f.mu is held.
func (f *Server) spend(rw http.ResponseWriter, op string) bool {
	now := f.now()
	w := f.windows[op]
	if w == nil || !now.Before(w.end) {
		sz := f.size(op)
		w = &window{left: sz.calls, end: now.Add(sz.period)}
		f.windows[op] = w
	}
	refused := w.left == 0
	if !refused {
		w.left--
	}
	h := rw.Header()
	h.Set("X-Current-Token-Count", strconv.Itoa(w.left))
	h.Set("X-Next-Replenishment-Time", strconv.FormatInt((w.end.UnixNano()+int64(time.Millisecond)-1)/int64(time.Millisecond), 10))
	if !refused {
		return false
	}
	f.api.Throttle()
	h.Set("Retry-After", strconv.FormatInt(int64((w.end.Sub(now)+time.Second-1)/time.Second), 10))
	f.writeJSON(rw, http.StatusTooManyRequests, errBody("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "REQUEST", "Too many requests", "REQUEST"))
	return true
}

// Seed puts listings on the fake as published items: quantity, BASE price,
// compare-at as the comparison price, title and gtin fields (a GTIN made
// from the SKU when the listing has none).
func (f *Server) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		it := &Item{Status: "PUBLISHED", Quantity: l.Quantity.Units, Comparison: l.CompareAt}
		if l.Price.Valid {
			it.Price = l.Price.Decimal
		}
		it.Title, _ = l.Field("title")
		it.GTIN, _ = l.Field("gtin")
		if it.GTIN == "" {
			sum := sha256.Sum256([]byte(l.SKU))
			n := uint64(0)
			for _, b := range sum[:6] {
				n = n<<8 | uint64(b)
			}
			it.GTIN = fmt.Sprintf("%014d", n%1e13)
		}
		f.items[l.SKU] = it
	}
}

// Put sets the item of sku.
func (f *Server) Put(sku string, it Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := it.clone()
	f.items[sku] = &c
}

// Listing is a copy of the item of sku, and whether there is one.
func (f *Server) Listing(sku string) (Item, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[sku]
	if !ok {
		return Item{}, false
	}
	return it.clone(), true
}

// Fail answers the next request of operation op (its operationId, or any
// when "") with status, content type and body, before anything else.
func (f *Server) Fail(status int, op, contentType, body string) {
	f.api.Fail(status, op, contentType, body)
}

// ExpireTokens makes every access token handed out so far expired.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok := range f.tokens {
		f.tokens[tok] = time.Time{}
	}
}

// Reject makes every write of sku refused: a 400 DATA error to a single
// write, a DATA_ERROR item in a feed.
func (f *Server) Reject(sku, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reject[sku] = why
}

// SetLimit throttles operation op (its operationId): a request the limiter
// has no token for is answered 429. A nil limiter lifts it.
func (f *Server) SetLimit(op string, l *rate.Limiter) { f.api.SetLimit(op, l) }

// SetProcessPolls sets how many status reads a feed answers INPROGRESS
// before it is processed (1 at first).
func (f *Server) SetProcessPolls(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.processPolls = n
}

// HoldFeeds keeps every feed INPROGRESS until ReleaseFeeds.
func (f *Server) HoldFeeds() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = true
}

// ReleaseFeeds lets held feeds finish at their next status read.
func (f *Server) ReleaseFeeds() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = false
}

// Feeds is how many feeds of feedType ("inventory", "price",
// "MP_MAINTENANCE") the fake took.
func (f *Server) Feeds(feedType string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, fd := range f.feeds {
		if fd.Type == feedType {
			n++
		}
	}
	return n
}

// FeedList is what the fake knows of the feeds taken, in order.
func (f *Server) FeedList() []Feed {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Feed, 0, len(f.feedOrder))
	for _, id := range f.feedOrder {
		fd := *f.feeds[id]
		fd.entries, fd.results = nil, nil
		out = append(out, fd)
	}
	return out
}

// Calls is how many requests of operation op the fake served, refused
// ones included.
func (f *Server) Calls(op string) int { return f.api.Calls(op) }

// TokenCalls is how many token requests the fake served.
func (f *Server) TokenCalls() int { return f.Calls("tokenAPI") }

// Throttled is how many requests the fake answered 429.
func (f *Server) Throttled() int { return f.api.Throttled() }

// Requests are the requests served (the token's left out), in order, each
// as "METHOD path?query body": the text of a golden file. A feed's body is
// its file.
func (f *Server) Requests() []string { return f.api.Requests() }

// Violations are the requests the fake refused as malformed.
func (f *Server) Violations() []string { return f.api.Invalid() }

// AllowInvalid keeps malformed requests (still refused) from failing the
// test: for tests of the fake itself.
func (f *Server) AllowInvalid() { f.api.AllowInvalid() }

// OrderHook places a customer's order of units of sku, lowering its
// quantity as Walmart does, and returns the PO_CREATED webhook delivery
// Walmart would send for it: the headers (the HMAC-SHA256 of the body under
// WebhookSecret, base64, in WebhookHeader) and the raw body.
func (f *Server) OrderHook(sku string, units int64) (http.Header, []byte) {
	f.mu.Lock()
	now := f.now().UTC()
	if it, ok := f.items[sku]; ok {
		it.Quantity = max(it.Quantity-units, 0)
	}
	f.nextID++
	po := fmt.Sprintf("10898%08d", f.nextID)
	f.mu.Unlock()
	ev := map[string]any{
		"source": map[string]any{
			"eventType": "PO_CREATED",
			"eventTime": now.Format(time.RFC3339Nano),
			"eventId":   fmt.Sprintf("evt-%s", po),
		},
		"payload": map[string]any{
			"partnerId":       "10001234567",
			"purchaseOrderId": po,
			"customerOrderId": "2000" + po,
			"orderDate":       now.Format(time.RFC3339Nano),
			"orderLines": []map[string]any{{
				"lineNumber":  "1",
				"sku":         sku,
				"productName": "Ordered item",
				"quantity":    map[string]any{"unitOfMeasure": "EACH", "measurementValue": strconv.FormatInt(units, 10)},
				"status":      "CREATED",
				"statusDate":  now.Format(time.RFC3339Nano),
			}},
		},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		f.t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(WebhookHeader, Sign(WebhookSecret, body))
	return h, body
}

// Sign is the signature of a webhook body: the base64 HMAC-SHA256 of the
// body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// errBody is Walmart's error shape.
func errBody(code, field, description, category string) map[string]any {
	return map[string]any{"errors": []map[string]any{{
		"code": code, "field": field, "description": description, "info": description,
		"severity": "ERROR", "category": category,
	}}}
}

func (f *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	apitest.WriteJSON(f.t, w, status, "application/json", v)
}

// bad refuses a malformed request with 400 and records it. f.mu is held.
func (f *Server) bad(w http.ResponseWriter, op, why string) {
	f.api.Reject(op + ": " + why)
	f.writeJSON(w, http.StatusBadRequest, errBody("INVALID_REQUEST_CONTENT.GMP_GATEWAY_API", "REQUEST", why, "REQUEST"))
}

// route is one operation the fake serves: its method, path pattern, and
// the query parameters it takes (required ones marked).
type route struct {
	op, method, path string
	query            map[string]bool // name -> required
}

var routes = []route{
	{"tokenAPI", "POST", "/v3/token", nil},
	{"getAllItems", "GET", "/v3/items", map[string]bool{"nextCursor": false, "sku": false, "limit": false, "offset": false, "lifecycleStatus": false, "publishedStatus": false}},
	{"getInventory", "GET", "/v3/inventory", map[string]bool{"sku": true, "shipNode": false}},
	{"updateInventoryForAnItem", "PUT", "/v3/inventory", map[string]bool{"sku": true, "shipNode": false}},
	{"getMultiNodeInventoryForAllSkuAndAllShipNodes", "GET", "/v3/inventories", map[string]bool{"limit": false, "nextCursor": false}},
	{"updatePrice", "PUT", "/v3/price", map[string]bool{"promo": false}},
	{"getPromotionalPrices", "GET", "/v3/promo/sku/*", nil},
	{"bulkUpload", "POST", "/v3/feeds", map[string]bool{"feedType": true, "shipNode": false}},
	{"getFeedItemStatus", "GET", "/v3/feeds/*", map[string]bool{"includeDetails": false, "offset": false, "limit": false}},
}

func match(method, path string) (*route, string, bool) {
	var found *route
	param := ""
	for i := range routes {
		r := &routes[i]
		p := ""
		if prefix, ok := strings.CutSuffix(r.path, "*"); ok {
			rest, ok := strings.CutPrefix(path, prefix)
			if !ok || rest == "" || strings.Contains(rest, "/") {
				continue
			}
			p = rest
		} else if path != r.path {
			continue
		}
		if r.method == method {
			return r, p, true
		}
		found, param = r, p
	}
	return found, param, false
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rt, param, ok := match(r.Method, r.URL.EscapedPath())
	if rt == nil || !ok {
		f.bad(w, r.Method+" "+r.URL.Path, "no such operation")
		return
	}
	op := rt.op
	if op == "updatePrice" && r.URL.Query().Get("promo") == "true" {
		op = "updatePromotionalPrices"
	}
	f.api.Call(op)
	// The query: only the operation's parameters, once each, required
	// ones present.
	q := r.URL.Query()
	for name, vals := range q {
		if _, known := rt.query[name]; !known {
			f.bad(w, op, "query parameter "+name+" is not one of the operation's")
			return
		}
		if len(vals) != 1 || vals[0] == "" {
			f.bad(w, op, "query parameter "+name+" sent empty or more than once")
			return
		}
	}
	for name, required := range rt.query {
		if required && q.Get(name) == "" {
			f.bad(w, op, "missing required query parameter "+name)
			return
		}
	}
	if op != "tokenAPI" {
		if why := f.checkHeaders(r); why != "" {
			if why == "expired" {
				f.writeJSON(w, http.StatusUnauthorized, errBody("UNAUTHORIZED.GMP_GATEWAY_API", "UNAUTHORIZED", "Unauthorized token or token is expired", "DATA"))
				return
			}
			f.bad(w, op, why)
			return
		}
	}
	if op != "tokenAPI" && f.spend(w, op) {
		return
	}
	if f.api.Failure(w, op) {
		return
	}
	if op == "tokenAPI" {
		f.serveToken(w, r, body)
		return
	}
	if f.api.Limited(op, 0) {
		w.Header().Set("Retry-After", "1")
		f.writeJSON(w, http.StatusTooManyRequests, errBody("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "REQUEST", "Too many requests", "REQUEST"))
		return
	}
	if sn := q.Get("shipNode"); sn != "" && sn != ShipNode {
		f.writeJSON(w, http.StatusBadRequest, errBody("INVALID_SHIP_NODE", "shipNode", "ship node "+sn+" is not the seller's", "DATA"))
		return
	}
	switch op {
	case "getAllItems":
		f.serveItems(w, r)
	case "getInventory":
		f.serveGetInventory(w, r)
	case "updateInventoryForAnItem":
		f.servePutInventory(w, r, body)
	case "getMultiNodeInventoryForAllSkuAndAllShipNodes":
		f.serveInventories(w, r)
	case "updatePrice", "updatePromotionalPrices":
		f.servePrice(w, r, op, body)
	case "getPromotionalPrices":
		f.servePromo(w, r, param)
	case "bulkUpload":
		f.serveFeed(w, r, body)
	case "getFeedItemStatus":
		f.serveFeedStatus(w, r, param)
	}
}

// checkHeaders holds a business call to the headers every call carries.
// f.mu is held.
func (f *Server) checkHeaders(r *http.Request) string {
	if r.Header.Get("WM_SVC.NAME") == "" {
		return "missing WM_SVC.NAME"
	}
	cid := r.Header.Get("WM_QOS.CORRELATION_ID")
	if cid == "" {
		return "missing WM_QOS.CORRELATION_ID"
	}
	if f.correlations[cid] {
		return "WM_QOS.CORRELATION_ID " + cid + " was sent before: it identifies one call"
	}
	f.correlations[cid] = true
	if !strings.HasPrefix(r.Header.Get("Accept"), "application/json") {
		return "Accept is not application/json"
	}
	tok := r.Header.Get("WM_SEC.ACCESS_TOKEN")
	if tok == "" {
		return "missing WM_SEC.ACCESS_TOKEN"
	}
	exp, ok := f.tokens[tok]
	if !ok {
		return "WM_SEC.ACCESS_TOKEN is not a token the fake handed out"
	}
	if !f.now().Before(exp) {
		return "expired"
	}
	return ""
}

func (f *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(ClientID+":"+ClientSecret))
	switch {
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		f.bad(w, "tokenAPI", "body is not application/x-www-form-urlencoded")
		return
	case r.Header.Get("WM_SVC.NAME") == "" || r.Header.Get("WM_QOS.CORRELATION_ID") == "":
		f.bad(w, "tokenAPI", "missing WM_SVC.NAME or WM_QOS.CORRELATION_ID")
		return
	case !strings.HasPrefix(r.Header.Get("Accept"), "application/json"):
		f.bad(w, "tokenAPI", "Accept is not application/json")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("grant_type") != "client_credentials" || len(form) != 1 {
		f.bad(w, "tokenAPI", "the form is not grant_type=client_credentials")
		return
	}
	if !subtleEq(r.Header.Get("Authorization"), want) {
		f.writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "client authentication failed"})
		return
	}
	f.nextToken++
	tok := fmt.Sprintf("eyJraWQiOi.fake-access-%d", f.nextToken)
	f.tokens[tok] = f.now().Add(900 * time.Second)
	f.writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 900})
}

func subtleEq(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// record keeps a request for Requests. f.mu is held.
func (f *Server) record(r *http.Request, body string) {
	line := r.Method + " " + r.URL.EscapedPath()
	if q := r.URL.Query(); len(q) > 0 {
		line += "?" + q.Encode()
	}
	if body != "" {
		line += " " + body
	}
	f.api.Record(line)
}

func (f *Server) sortedSKUs() []string {
	skus := make([]string, 0, len(f.items))
	for s := range f.items {
		skus = append(skus, s)
	}
	sort.Strings(skus)
	return skus
}

// pageLimit reads limit (default def, at most MaxPageSize). f.mu is held.
func (f *Server) pageLimit(w http.ResponseWriter, op string, q url.Values, def int) (int, bool) {
	v := q.Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPageSize {
		f.bad(w, op, fmt.Sprintf("limit %q is not a number from 1 to %d", v, MaxPageSize))
		return 0, false
	}
	return n, true
}

// cursor is the offset a nextCursor stands for.
func cursorOffset(c string) (int, bool) {
	if c == "" || c == "*" {
		return 0, true
	}
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
	return n, err == nil
}

func cursorAt(n int) string {
	return base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(n)))
}

func money(d decimal.Decimal) map[string]any {
	return map[string]any{"currency": "USD", "amount": json.Number(d.String())}
}

func (f *Server) itemJSON(sku string, it *Item) map[string]any {
	price := it.Price
	if p, ok := it.promoAt(f.now()); ok {
		price = p.Price
	}
	return map[string]any{
		"mart": "WALMART_US", "sku": sku, "condition": "New", "wpid": "0R" + strings.ToUpper(strconv.FormatUint(uint64(len(sku))*7919, 36)),
		"gtin": it.GTIN, "upc": strings.TrimPrefix(it.GTIN, "00"), "productName": it.Title, "productType": "Fake Products",
		"price": money(price), "publishedStatus": it.Status, "lifecycleStatus": "ACTIVE",
	}
}

func (f *Server) serveItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.record(r, "")
	limit, ok := f.pageLimit(w, "getAllItems", q, 20)
	if !ok {
		return
	}
	if sku := q.Get("sku"); sku != "" {
		it, ok := f.items[sku]
		if !ok {
			f.writeJSON(w, http.StatusNotFound, errBody("CONTENT_NOT_FOUND.GMP_ITEM_QUERY_API", "sku", "Item not found", "DATA"))
			return
		}
		f.writeJSON(w, http.StatusOK, map[string]any{"ItemResponse": []any{f.itemJSON(sku, it)}, "totalItems": 1})
		return
	}
	if q.Get("nextCursor") == "" {
		f.bad(w, "getAllItems", "a read of every item pages with nextCursor (* at first)")
		return
	}
	start, ok := cursorOffset(q.Get("nextCursor"))
	if !ok {
		f.bad(w, "getAllItems", "nextCursor is not one the fake handed out")
		return
	}
	skus := f.sortedSKUs()
	start = min(start, len(skus))
	end := min(start+limit, len(skus))
	page := make([]any, 0, end-start)
	for _, s := range skus[start:end] {
		page = append(page, f.itemJSON(s, f.items[s]))
	}
	ans := map[string]any{"ItemResponse": page, "totalItems": len(skus)}
	if end < len(skus) {
		ans["nextCursor"] = cursorAt(end)
	}
	f.writeJSON(w, http.StatusOK, ans)
}

func qty(n int64) map[string]any { return map[string]any{"unit": "EACH", "amount": n} }

func (f *Server) serveGetInventory(w http.ResponseWriter, r *http.Request) {
	f.record(r, "")
	sku := r.URL.Query().Get("sku")
	it, ok := f.items[sku]
	if !ok {
		f.writeJSON(w, http.StatusNotFound, errBody("CONTENT_NOT_FOUND.GMP_INVENTORY_API", "sku", "Item not found", "DATA"))
		return
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"sku": sku, "quantity": qty(it.Quantity)})
}

func (f *Server) serveInventories(w http.ResponseWriter, r *http.Request) {
	f.record(r, "")
	q := r.URL.Query()
	limit, ok := f.pageLimit(w, "getMultiNodeInventoryForAllSkuAndAllShipNodes", q, 10)
	if !ok {
		return
	}
	start, ok := cursorOffset(q.Get("nextCursor"))
	if !ok {
		f.bad(w, "getMultiNodeInventoryForAllSkuAndAllShipNodes", "nextCursor is not one the fake handed out")
		return
	}
	skus := f.sortedSKUs()
	start = min(start, len(skus))
	end := min(start+limit, len(skus))
	invs := make([]any, 0, end-start)
	for _, s := range skus[start:end] {
		it := f.items[s]
		nodes := []any{map[string]any{
			"shipNode": ShipNode, "inputQty": qty(it.Quantity), "availToSellQty": qty(it.Quantity), "reservedQty": qty(0),
		}}
		for _, node := range slices.Sorted(maps.Keys(it.OtherNodes)) {
			n := it.OtherNodes[node]
			nodes = append(nodes, map[string]any{"shipNode": node, "inputQty": qty(n), "availToSellQty": qty(n), "reservedQty": qty(0)})
		}
		invs = append(invs, map[string]any{"sku": s, "nodes": nodes})
	}
	meta := map[string]any{"totalCount": len(skus)}
	if end < len(skus) {
		meta["nextCursor"] = cursorAt(end)
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"meta": meta, "elements": map[string]any{"inventories": invs}})
}

func (f *Server) jsonBody(w http.ResponseWriter, r *http.Request, op, schema string, body []byte) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.bad(w, op, "body sent as "+r.Header.Get("Content-Type")+", not application/json")
		return false
	}
	if err := Validate(schema, body); err != nil {
		f.bad(w, op, fmt.Sprintf("body does not validate against %s: %v", schema, err))
		return false
	}
	return true
}

func (f *Server) servePutInventory(w http.ResponseWriter, r *http.Request, body []byte) {
	f.record(r, string(body))
	if !f.jsonBody(w, r, "updateInventoryForAnItem", schemaInventory, body) {
		return
	}
	var in struct {
		SKU      string `json:"sku"`
		Quantity struct {
			Amount int64 `json:"amount"`
		} `json:"quantity"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.bad(w, "updateInventoryForAnItem", err.Error())
		return
	}
	if in.SKU != r.URL.Query().Get("sku") {
		f.bad(w, "updateInventoryForAnItem", "the body's sku is not the query's")
		return
	}
	it, ok := f.items[in.SKU]
	if !ok {
		f.writeJSON(w, http.StatusNotFound, errBody("CONTENT_NOT_FOUND.GMP_INVENTORY_API", "sku", "Item not found", "DATA"))
		return
	}
	if why, refused := f.reject[in.SKU]; refused {
		f.writeJSON(w, http.StatusBadRequest, errBody("INVALID_REQUEST_CONTENT.GMP_INVENTORY_API", "quantity", why, "DATA"))
		return
	}
	it.Quantity = in.Quantity.Amount
	f.writeJSON(w, http.StatusOK, map[string]any{"sku": in.SKU, "quantity": qty(it.Quantity)})
}

// priceBody is the body of PUT /v3/price and one entry of a price feed.
type priceBody struct {
	SKU     string `json:"sku"`
	Pricing []struct {
		CurrentPriceType    string       `json:"currentPriceType"`
		CurrentPrice        priceAmount  `json:"currentPrice"`
		ComparisonPriceType string       `json:"comparisonPriceType"`
		ComparisonPrice     *priceAmount `json:"comparisonPrice"`
		EffectiveDate       string       `json:"effectiveDate"`
		ExpirationDate      string       `json:"expirationDate"`
		ProcessMode         string       `json:"processMode"`
	} `json:"pricing"`
}

type priceAmount struct {
	Amount decimal.Decimal `json:"amount"`
}

// applyPrice turns a price body into a change of the item, or says why it
// is refused.
func applyPrice(in priceBody, promo bool) (func(*Item), string) {
	var steps []func(*Item)
	for _, p := range in.Pricing {
		if promo {
			if p.CurrentPriceType != "REDUCED" && p.CurrentPriceType != "CLEARANCE" || p.ComparisonPrice == nil {
				return nil, "a promotional price is REDUCED or CLEARANCE with a comparison price"
			}
			starts, err1 := time.Parse(time.RFC3339, p.EffectiveDate)
			ends, err2 := time.Parse(time.RFC3339, p.ExpirationDate)
			if err1 != nil || err2 != nil || !starts.Before(ends) {
				return nil, "a promotional price needs an effectiveDate before its expirationDate"
			}
			pr := Promo{Price: p.CurrentPrice.Amount, Comparison: p.ComparisonPrice.Amount, Starts: starts, Ends: ends}
			del := p.ProcessMode == "DELETE"
			steps = append(steps, func(it *Item) {
				it.Promos = slices.DeleteFunc(it.Promos, func(o Promo) bool { return o.Starts.Before(pr.Ends) && pr.Starts.Before(o.Ends) })
				if !del {
					it.Promos = append(it.Promos, pr)
				}
			})
			continue
		}
		if p.EffectiveDate != "" || p.ExpirationDate != "" || p.ProcessMode != "" {
			return nil, "effectiveDate, expirationDate and processMode are for promotions (promo=true)"
		}
		if p.CurrentPriceType != "BASE" {
			return nil, "a regular price is BASE"
		}
		if !p.CurrentPrice.Amount.IsPositive() {
			return nil, "the price must be above 0"
		}
		price := p.CurrentPrice.Amount
		cmp := p.ComparisonPrice
		steps = append(steps, func(it *Item) {
			it.Price = price
			switch {
			case cmp == nil:
			case cmp.Amount.IsZero():
				it.Comparison = decimal.NullDecimal{}
			default:
				it.Comparison = decimal.NullDecimal{Decimal: cmp.Amount, Valid: true}
			}
		})
	}
	return func(it *Item) {
		for _, s := range steps {
			s(it)
		}
	}, ""
}

func (f *Server) servePrice(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	f.record(r, string(body))
	if !f.jsonBody(w, r, op, schemaPrice, body) {
		return
	}
	var in priceBody
	if err := json.Unmarshal(body, &in); err != nil {
		f.bad(w, op, err.Error())
		return
	}
	it, ok := f.items[in.SKU]
	if !ok {
		f.writeJSON(w, http.StatusNotFound, errBody("CONTENT_NOT_FOUND.GMP_PRICE_API", "sku", "Item not found", "DATA"))
		return
	}
	if why, refused := f.reject[in.SKU]; refused {
		f.writeJSON(w, http.StatusBadRequest, errBody("INVALID_REQUEST_CONTENT.GMP_PRICE_API", "pricing", why, "DATA"))
		return
	}
	apply, why := applyPrice(in, op == "updatePromotionalPrices")
	if apply == nil {
		f.writeJSON(w, http.StatusBadRequest, errBody("INVALID_REQUEST_CONTENT.GMP_PRICE_API", "pricing", why, "DATA"))
		return
	}
	apply(it)
	f.writeJSON(w, http.StatusOK, map[string]any{"ItemPriceResponse": map[string]any{
		"mart": "WALMART_US", "sku": in.SKU,
		"message": "Thank you. Your price has been updated. Please allow up to five minutes for this change to be reflected on the site.",
	}})
}

func (f *Server) servePromo(w http.ResponseWriter, r *http.Request, rawSKU string) {
	f.record(r, "")
	sku, err := url.PathUnescape(rawSKU)
	it, ok := f.items[sku]
	if err != nil || !ok {
		f.writeJSON(w, http.StatusNotFound, errBody("CONTENT_NOT_FOUND.GMP_PRICE_API", "sku", "Item not found", "DATA"))
		return
	}
	val := func(d decimal.Decimal) map[string]any {
		return map[string]any{"value": map[string]any{"currency": "USD", "amount": json.Number(d.String())}}
	}
	base := map[string]any{"currentPriceType": "BASE", "currentPrice": val(it.Price)}
	if it.Comparison.Valid {
		base["comparisonPriceType"] = "BASE"
		base["comparisonPrice"] = val(it.Comparison.Decimal)
	}
	pricing := []any{base}
	for _, p := range it.Promos {
		pricing = append(pricing, map[string]any{
			"currentPriceType": "REDUCED", "currentPrice": val(p.Price),
			"comparisonPriceType": "BASE", "comparisonPrice": val(p.Comparison),
			"effectiveDate": p.Starts.UnixMilli(), "expirationDate": p.Ends.UnixMilli(),
			"priceDisplayCodes": map[string]any{"isStrikethrough": true, "isReducedPrice": true},
		})
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"status": "OK", "payload": map[string]any{
		"itemIdentifier": map[string]any{"sku": sku},
		"pricingList":    map[string]any{"pricing": pricing, "replaceAll": false},
	}})
}

// feedKinds are the feed types the fake takes, with the schema of their
// file.
var feedKinds = map[string]string{"inventory": schemaInvFeed, "price": schemaPriceFeed, "MP_MAINTENANCE": schemaMaintenance}

func (f *Server) serveFeed(w http.ResponseWriter, r *http.Request, body []byte) {
	feedType := r.URL.Query().Get("feedType")
	schema, ok := feedKinds[feedType]
	if !ok {
		f.record(r, "")
		f.bad(w, "bulkUpload", "feedType "+feedType+" is not one the fake takes")
		return
	}
	if feedType != "inventory" && r.URL.Query().Has("shipNode") {
		f.record(r, "")
		f.bad(w, "bulkUpload", "shipNode is for inventory feeds")
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		f.record(r, "")
		f.bad(w, "bulkUpload", "the feed is not sent as multipart/form-data")
		return
	}
	mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
	var file []byte
	parts := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.record(r, "")
			f.bad(w, "bulkUpload", "malformed multipart body: "+err.Error())
			return
		}
		parts++
		if p.FormName() != "file" {
			f.record(r, "")
			f.bad(w, "bulkUpload", "multipart part "+p.FormName()+" is not the file")
			return
		}
		file, _ = io.ReadAll(p)
	}
	f.record(r, string(file))
	if parts != 1 || len(file) == 0 {
		f.bad(w, "bulkUpload", "the multipart body has no single file part")
		return
	}
	if err := Validate(schema, file); err != nil {
		f.bad(w, "bulkUpload", fmt.Sprintf("the %s feed file does not validate against %s: %v", feedType, schema, err))
		return
	}
	now := f.now()
	recent := slices.DeleteFunc(f.feedTimes[feedType], func(t time.Time) bool { return now.Sub(t) >= time.Hour })
	f.feedTimes[feedType] = recent
	if len(recent) >= FeedsPerHour {
		f.api.Throttle()
		f.writeJSON(w, http.StatusTooManyRequests, errBody("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "REQUEST", fmt.Sprintf("at most %d %s feeds an hour", FeedsPerHour, feedType), "REQUEST"))
		return
	}
	entries, why := f.parseFeed(feedType, file)
	if why != "" {
		f.bad(w, "bulkUpload", why)
		return
	}
	f.feedTimes[feedType] = append(recent, now)
	f.nextID++
	id := fmt.Sprintf("%032X@AUoBAQA", f.nextID)
	f.feeds[id] = &Feed{ID: id, Type: feedType, Status: "RECEIVED", Items: len(entries), entries: entries}
	f.feedOrder = append(f.feedOrder, id)
	f.writeJSON(w, http.StatusOK, map[string]any{"feedId": id, "additionalAttributes": nil, "errors": nil})
}

func (f *Server) parseFeed(feedType string, file []byte) ([]feedEntry, string) {
	var out []feedEntry
	switch feedType {
	case "inventory":
		var doc struct {
			Inventory []struct {
				SKU      string `json:"sku"`
				Quantity struct {
					Amount int64 `json:"amount"`
				} `json:"quantity"`
			} `json:"Inventory"`
		}
		if err := json.Unmarshal(file, &doc); err != nil {
			return nil, err.Error()
		}
		for _, e := range doc.Inventory {
			n := e.Quantity.Amount
			out = append(out, feedEntry{sku: e.SKU, apply: func(it *Item) { it.Quantity = n }})
		}
	case "price":
		var doc struct {
			Price []priceBody `json:"Price"`
		}
		if err := json.Unmarshal(file, &doc); err != nil {
			return nil, err.Error()
		}
		for _, e := range doc.Price {
			apply, why := applyPrice(e, false)
			out = append(out, feedEntry{sku: e.SKU, apply: apply, problem: why})
		}
	case "MP_MAINTENANCE":
		var doc struct {
			MPItem []struct {
				Orderable struct {
					SKU                string `json:"sku"`
					ProductIdentifiers struct {
						ProductID string `json:"productId"`
					} `json:"productIdentifiers"`
					ProductName *string `json:"productName"`
				} `json:"Orderable"`
			} `json:"MPItem"`
		}
		if err := json.Unmarshal(file, &doc); err != nil {
			return nil, err.Error()
		}
		for _, e := range doc.MPItem {
			o := e.Orderable
			gtin := o.ProductIdentifiers.ProductID
			name := o.ProductName
			out = append(out, feedEntry{sku: o.SKU, apply: func(it *Item) {
				if name != nil {
					it.Title = *name
				}
			}, problem: func() string {
				if it, ok := f.items[o.SKU]; ok && it.GTIN != gtin {
					return "productId " + gtin + " is not the item's GTIN"
				}
				return ""
			}()})
		}
	}
	return out, ""
}

func (f *Server) serveFeedStatus(w http.ResponseWriter, r *http.Request, rawID string) {
	f.record(r, "")
	if strings.Contains(rawID, "@") {
		f.bad(w, "getFeedItemStatus", "the feed ID's @ is not escaped as %40, as the operation asks")
		return
	}
	id, err := url.PathUnescape(rawID)
	fd, ok := f.feeds[id]
	if err != nil || !ok {
		f.writeJSON(w, http.StatusNotFound, errBody("CONTENT_NOT_FOUND.GMP_FEED_API", "feedId", "feed "+id+" not found", "DATA"))
		return
	}
	q := r.URL.Query()
	details := q.Get("includeDetails") == "true"
	offset := 0
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			f.bad(w, "getFeedItemStatus", "offset is not a number")
			return
		}
	}
	limit := MaxDetails
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxDetails {
			f.bad(w, "getFeedItemStatus", fmt.Sprintf("limit %q is not a number from 1 to %d", v, MaxDetails))
			return
		}
	}
	if (q.Has("offset") || q.Has("limit")) && !details {
		f.bad(w, "getFeedItemStatus", "offset and limit are only for includeDetails=true")
		return
	}
	if offset == 0 {
		fd.Polls++
		if fd.Status != "PROCESSED" && !f.hold && fd.Polls > f.processPolls {
			f.process(fd)
		} else if fd.Status == "RECEIVED" {
			fd.Status = "INPROGRESS"
		}
	}
	ans := map[string]any{"feedId": id, "feedStatus": fd.Status, "itemsReceived": fd.Items, "offset": offset, "limit": limit,
		"feedSubmissionDate": f.now().UnixMilli()}
	succeeded, failed := 0, 0
	for _, res := range fd.results {
		if res.Status == "SUCCESS" {
			succeeded++
		} else {
			failed++
		}
	}
	ans["itemsSucceeded"], ans["itemsFailed"] = succeeded, failed
	ans["itemsProcessing"] = fd.Items - succeeded - failed
	if details {
		list := []any{}
		for i := offset; i < min(offset+limit, fd.Items); i++ {
			st := map[string]any{"martId": 0, "sku": fd.entries[i].sku, "index": i, "ingestionStatus": "INPROGRESS"}
			if fd.Status == "PROCESSED" {
				res := fd.results[i]
				st["ingestionStatus"] = res.Status
				if res.Error != "" {
					st["ingestionErrors"] = map[string]any{"ingestionError": []any{map[string]any{
						"type": res.Status, "code": "ERR_EXT_DATA_0101", "description": res.Error,
					}}}
				}
			}
			list = append(list, st)
		}
		ans["itemDetails"] = map[string]any{"itemIngestionStatus": list}
	}
	f.writeJSON(w, http.StatusOK, ans)
}

// process applies a feed's entries, each alone: one refused leaves the
// others applied. f.mu is held.
func (f *Server) process(fd *Feed) {
	fd.results = make([]itemResult, len(fd.entries))
	for i, e := range fd.entries {
		it, ok := f.items[e.sku]
		res := itemResult{SKU: e.sku, Status: "SUCCESS"}
		switch why, refused := f.reject[e.sku]; {
		case !ok:
			res.Status, res.Error = "DATA_ERROR", "SKU "+e.sku+" is not set up"
		case refused:
			res.Status, res.Error = "DATA_ERROR", why
		case e.apply == nil || e.problem != "":
			res.Status, res.Error = "DATA_ERROR", e.problem
		default:
			e.apply(it)
		}
		fd.results[i] = res
	}
	fd.Status = "PROCESSED"
}
