package lazadatest

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
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

// The credentials the fake accepts, made up. The access and refresh tokens
// are the first pair it issues; a refresh replaces both.
const (
	AppKey       = "100123"
	AppSecret    = "fake-app-secret-0123" //nolint:gosec // G101: made up for the fake
	AccessToken  = "fake-access-token-0"  //nolint:gosec // G101: made up for the fake
	RefreshToken = "fake-refresh-token-0"
	Region       = "sg"
	Currency     = "SGD"
)

// Zone is the time zone of the fake's venture (Singapore): the zone of
// the special price windows it serves and reads.
var Zone = time.FixedZone("UTC+8", 8*3600)

// Lifetimes of the tokens issued, as Lazada's "Online" apps have them.
const (
	AccessLifetime  = 30 * 24 * time.Hour
	RefreshLifetime = 180 * 24 * time.Hour
)

// maxSkewMillis is how far a request's timestamp may be from the fake's
// clock ("Calling parameters": 7200 s).
const maxSkewMillis = 7200 * 1000

// Sku is one SKU of an item.
type Sku struct {
	SellerSku string
	SkuID     int64
	// Status is "active", "inactive" or "deleted".
	Status   string
	Quantity int64
	// Price is Lazada's price; SpecialPrice shows instead of it from
	// SpecialFrom until SpecialTo (zero: open).
	Price                  decimal.Decimal
	SpecialPrice           decimal.NullDecimal
	SpecialFrom, SpecialTo time.Time
}

// Item is one Lazada product: its attributes (name is the title) and
// SKUs, and when it was created and last updated (created_time and
// updated_time, in milliseconds).
type Item struct {
	ItemID     int64
	Attributes map[string]string
	Skus       []Sku
	// Created is when the item was created: zero gives it CreatedBase and
	// one second more for each item added before it. Updated is zero for
	// Created; a write sets it to the time of the write.
	Created, Updated time.Time
}

// CreatedBase is the created time of the first item added without one.
var CreatedBase = time.Date(2024, 1, 1, 0, 0, 0, 0, Zone)

// createdLayouts are the ISO 8601 forms GetProducts' create_after,
// create_before, update_after and update_before take: the reference page's
// samples ("2018-01-01T00:00:00+0800") and the extended offset.
var createdLayouts = []string{"2006-01-02T15:04:05-0700", time.RFC3339}

func (it *Item) clone() Item {
	c := *it
	c.Attributes = maps.Clone(it.Attributes)
	c.Skus = slices.Clone(it.Skus)
	return c
}

// Server is a fake Lazada Open Platform (see the package comment). Its
// methods are safe to call while a client runs.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu sync.Mutex
	// items are in the order GetProducts answers them: created time, then
	// item ID (Lazada documents no order; see the package comment).
	items         []*Item
	added         int
	newestFirst   bool
	served        int
	bySku         map[string]*Item
	nextID        int64
	access        map[string]time.Time // issued access token -> expiry
	refresh       string
	refreshExp    time.Time
	issued        int
	refuseRefresh bool
	tokenCalls    int
	reject        map[string]string // SellerSku -> why UpdatePriceQuantity refuses it
	stringNumbers bool
	// api keeps the failures, limits, counts and the request log.
	api apitest.Ledger
}

// New starts a fake with no listings, closed when the test ends. It
// accepts AccessToken and RefreshToken at first.
func New(t testing.TB) *Server {
	f := &Server{
		t: t, bySku: map[string]*Item{}, nextID: 1000,
		access:  map[string]time.Time{AccessToken: time.Now().Add(AccessLifetime)},
		refresh: RefreshToken, refreshExp: time.Now().Add(RefreshLifetime),
		reject: map[string]string{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API gateway: a channel's endpoint.
func (f *Server) URL() string { return f.srv.URL + "/rest" }

// AuthURL is the token service: a channel's auth_endpoint.
func (f *Server) AuthURL() string { return f.srv.URL + "/auth/rest" }

// Client is an HTTP client for the fake.
func (f *Server) Client() *http.Client { return f.srv.Client() }

// Config is a channel config block pointing at the fake, with the secrets
// through env("LAZADA_APP_SECRET"), env("LAZADA_ACCESS_TOKEN") and
// env("LAZADA_REFRESH_TOKEN"), and extra lines appended.
func (f *Server) Config(extra string) string {
	return fmt.Sprintf(`
app_key       = %q
app_secret    = env("LAZADA_APP_SECRET")
access_token  = env("LAZADA_ACCESS_TOKEN")
refresh_token = env("LAZADA_REFRESH_TOKEN")
region        = %q
endpoint      = %q
auth_endpoint = %q
%s`, AppKey, Region, f.URL(), f.AuthURL(), extra)
}

// Env is the environment the secrets of Config read.
func Env() map[string]string {
	return map[string]string{"LAZADA_APP_SECRET": AppSecret, "LAZADA_ACCESS_TOKEN": AccessToken, "LAZADA_REFRESH_TOKEN": RefreshToken}
}

// Seed puts each listing on the fake as an item of one active SKU: the
// price as Lazada's price, or, with a compare-at above it, the compare-at
// as the price and the price as a special price without end; quantity
// (0 when unmanaged); fields as attributes (title as name).
func (f *Server) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		s := Sku{SellerSku: l.SKU, Status: "active", Quantity: l.Quantity.Units, Price: l.Price.Decimal}
		if l.CompareAt.Valid && l.CompareAt.Decimal.GreaterThan(l.Price.Decimal) {
			s.Price, s.SpecialPrice = l.CompareAt.Decimal, l.Price
		}
		attrs := map[string]string{}
		for _, fl := range l.Fields {
			name := fl.Name
			if name == "title" {
				name = "name"
			}
			attrs[name] = fl.Value
		}
		f.addLocked(Item{Attributes: attrs, Skus: []Sku{s}})
	}
}

// AddItem puts an item on the fake, giving it and its SKUs IDs where they
// have none, and returns its item ID.
func (f *Server) AddItem(it Item) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(it)
}

func (f *Server) addLocked(it Item) int64 {
	c := it.clone()
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	if c.ItemID == 0 {
		f.nextID++
		c.ItemID = f.nextID * 1000
	}
	if c.Created.IsZero() {
		c.Created = CreatedBase.Add(time.Duration(f.added) * time.Second)
	}
	f.added++
	if c.Updated.IsZero() {
		c.Updated = c.Created
	}
	for i := range c.Skus {
		if c.Skus[i].SkuID == 0 {
			f.nextID++
			c.Skus[i].SkuID = f.nextID*1000 + 7
		}
		if c.Skus[i].Status == "" {
			c.Skus[i].Status = "active"
		}
	}
	at, _ := slices.BinarySearchFunc(f.items, &c, func(a, b *Item) int {
		if n := a.Created.Compare(b.Created); n != 0 {
			return n
		}
		return cmp.Compare(a.ItemID, b.ItemID)
	})
	f.items = slices.Insert(f.items, at, &c)
	for _, s := range c.Skus {
		f.bySku[s.SellerSku] = &c
	}
	return c.ItemID
}

// Listing is a copy of the item of sellerSku and of that SKU, and whether
// there is one.
func (f *Server) Listing(sellerSku string) (Item, Sku, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.bySku[sellerSku]
	if !ok {
		return Item{}, Sku{}, false
	}
	for _, s := range it.Skus {
		if s.SellerSku == sellerSku {
			return it.clone(), s, true
		}
	}
	return Item{}, Sku{}, false
}

// Ref is the adapter reference of sellerSku's listing: "item_id:SkuId".
func (f *Server) Ref(sellerSku string) string {
	it, s, ok := f.Listing(sellerSku)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d", it.ItemID, s.SkuID)
}

// Order sells units of sellerSku: its quantity falls by them.
func (f *Server) Order(sellerSku string, units int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it, ok := f.bySku[sellerSku]; ok {
		for i := range it.Skus {
			if it.Skus[i].SellerSku == sellerSku {
				it.Skus[i].Quantity -= units
			}
		}
	}
}

// Fail answers the next request of api (its path, "/products/get"; any
// when "") with status, content type and body, before anything else.
func (f *Server) Fail(status int, api, contentType, body string) {
	f.api.Fail(status, api, contentType, body)
}

// FailCode answers the next request of api with Lazada's envelope of an
// error, HTTP 200, as Lazada answers most refusals.
func (f *Server) FailCode(api, code, typ, message string) {
	body, err := json.Marshal(map[string]string{"code": code, "type": typ, "message": message, "request_id": "fake-failure"})
	if err != nil {
		f.t.Errorf("fake: %v", err)
	}
	f.Fail(http.StatusOK, api, "application/json;charset=UTF-8", string(body))
}

// RejectSKU makes UpdatePriceQuantity refuse sellerSku with why, taking
// the rest of the batch: code 501 with a detail naming it.
func (f *Server) RejectSKU(sellerSku, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reject[sellerSku] = why
}

// ExpireTokens makes every access token issued so far expired.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.access {
		f.access[k] = time.Time{}
	}
}

// RefuseRefresh makes the token service refuse every refresh token.
func (f *Server) RefuseRefresh(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuseRefresh = refuse
}

// CurrentRefreshToken is the refresh token the fake accepts now (each
// refresh rotates it).
func (f *Server) CurrentRefreshToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refresh
}

// TokenCalls is how many refreshes the token service served.
func (f *Server) TokenCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

// SetLimit enforces a rate on api (nil lifts it): a call the limiter has
// no token for is answered ApiCallLimit, as Lazada does.
func (f *Server) SetLimit(api string, l *rate.Limiter) { f.api.SetLimit(api, l) }

// Throttled is how many calls a limit of SetLimit refused.
func (f *Server) Throttled() int { return f.api.Throttled() }

// StringNumbers makes GetProducts send prices, quantities and IDs as JSON
// strings (Lazada sends both forms).
func (f *Server) StringNumbers(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stringNumbers = on
}

// NewestFirst makes GetProducts answer the newest items first (created
// time, then item ID, descending): Lazada documents no order, and a client
// must not depend on one.
func (f *Server) NewestFirst(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.newestFirst = on
}

// Served is how many products GetProducts answered in all, an item
// answered twice counted twice.
func (f *Server) Served() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

// Calls is how many requests of api the fake served, refused ones
// included.
func (f *Server) Calls(api string) int { return f.api.Calls(api) }

// Requests are the requests served, in order, each as "METHOD path" and
// its parameters sorted, with the signature, timestamp and tokens
// replaced by their names: the text of a golden file.
func (f *Server) Requests() []string { return f.api.Requests() }

// envelope is Lazada's answer.
type envelope struct {
	Code      string   `json:"code"`
	Type      string   `json:"type,omitempty"`
	Message   string   `json:"message,omitempty"`
	RequestID string   `json:"request_id"`
	Detail    []detail `json:"detail,omitempty"`
	Data      any      `json:"data,omitempty"`
}

type detail struct {
	Field     string `json:"field"`
	SellerSku string `json:"seller_sku,omitempty"`
	Message   string `json:"message"`
}

func (f *Server) answer(w http.ResponseWriter, status int, v any) {
	apitest.WriteJSON(f.t, w, status, "application/json;charset=UTF-8", v)
}

func (f *Server) refuse(w http.ResponseWriter, status int, code, typ, msg string) {
	f.answer(w, status, envelope{Code: code, Type: typ, Message: msg, RequestID: strconv.Itoa(f.api.Recorded())})
}

// apis are the APIs served: method, whether the seller's access token is
// required, and the parameters each takes beside the system ones.
var apis = map[string]struct {
	method   string
	token    bool
	required []string
	optional []string
}{
	"/products/get":                  {http.MethodGet, true, []string{"filter"}, []string{"offset", "limit", "sku_seller_list", "options", "create_after", "create_before", "update_after", "update_before", "search"}},
	"/product/price_quantity/update": {http.MethodPost, true, []string{"payload"}, nil},
	"/product/update":                {http.MethodPost, true, []string{"payload"}, nil},
	"/auth/token/refresh":            {http.MethodPost, false, []string{"refresh_token"}, nil},
}

// protocolError is a request outside Lazada's definition: the code Lazada
// answers it with.
type protocolError struct {
	code, msg string
}

func (e *protocolError) Error() string { return e.code + ": " + e.msg }

// check validates a request's transport, system parameters and signature
// and returns its API and parameters.
func (f *Server) check(r *http.Request, body []byte) (string, url.Values, error) {
	var api string
	switch {
	case strings.HasPrefix(r.URL.Path, "/auth/rest/"):
		api = strings.TrimPrefix(r.URL.Path, "/auth/rest")
		if api != "/auth/token/refresh" {
			return api, nil, &protocolError{"InvalidApiPath", "the token service has no API " + api}
		}
	case strings.HasPrefix(r.URL.Path, "/rest/"):
		api = strings.TrimPrefix(r.URL.Path, "/rest")
		if api == "/auth/token/refresh" {
			return api, nil, &protocolError{"InvalidApiPath", "tokens are refreshed at the token service, not a venture's gateway"}
		}
	default:
		return "", nil, &protocolError{"InvalidApiPath", "no API at " + r.URL.Path}
	}
	spec, ok := apis[api]
	if !ok {
		return api, nil, &protocolError{"InvalidApiPath", "no API " + api}
	}
	if r.Method != spec.method {
		return api, nil, &protocolError{"InvalidRequestMethod", fmt.Sprintf("%s takes %s, not %s", api, spec.method, r.Method)}
	}
	var params url.Values
	var err error
	if r.Method == http.MethodGet {
		if len(body) > 0 {
			return api, nil, &protocolError{"InvalidParameter", "a GET with a body"}
		}
		params = r.URL.Query()
	} else {
		mt, _, merr := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if merr != nil || mt != "application/x-www-form-urlencoded" {
			return api, nil, &protocolError{"InvalidParameter", "a POST's parameters go form-encoded, not as " + r.Header.Get("Content-Type")}
		}
		if r.URL.RawQuery != "" {
			return api, nil, &protocolError{"InvalidParameter", "a POST's parameters go in its body, not its URL"}
		}
		if params, err = url.ParseQuery(string(body)); err != nil {
			return api, nil, &protocolError{"InvalidParameter", "the body is not form-encoded: " + err.Error()}
		}
	}
	allowed := map[string]bool{"app_key": true, "timestamp": true, "sign_method": true, "sign": true}
	required := []string{"app_key", "timestamp", "sign_method", "sign"}
	if spec.token {
		allowed["access_token"] = true
		required = append(required, "access_token")
	}
	required = append(required, spec.required...)
	for _, p := range append(slices.Clone(spec.required), spec.optional...) {
		allowed[p] = true
	}
	for k, vs := range params {
		if !allowed[k] {
			return api, params, &protocolError{"InvalidParameter", fmt.Sprintf("%s takes no parameter %q", api, k)}
		}
		if len(vs) != 1 || vs[0] == "" {
			return api, params, &protocolError{"InvalidParameter", fmt.Sprintf("parameter %q given %d times or empty", k, len(vs))}
		}
	}
	for _, k := range required {
		if params.Get(k) == "" {
			return api, params, &protocolError{"MissingParameter", "missing required parameter: " + k}
		}
	}
	if params.Get("app_key") != AppKey {
		return api, params, &protocolError{"InvalidAppKey", "app_key " + params.Get("app_key") + " is not the app's"}
	}
	if params.Get("sign_method") != "sha256" {
		return api, params, &protocolError{"InvalidSignMethod", "sign_method must be sha256"}
	}
	ts, err := strconv.ParseInt(params.Get("timestamp"), 10, 64)
	if err != nil || len(params.Get("timestamp")) != 13 {
		return api, params, &protocolError{"InvalidTimestamp", "timestamp is not Unix milliseconds: " + params.Get("timestamp")}
	}
	if d := time.Now().UnixMilli() - ts; d > maxSkewMillis || d < -maxSkewMillis {
		return api, params, &protocolError{"InvalidTimestamp", "timestamp more than 7200 s from UTC"}
	}
	if want := sign(api, params); params.Get("sign") != want {
		return api, params, &protocolError{"IncompleteSignature", "The request signature does not conform to platform standards"}
	}
	return api, params, nil
}

// sign recomputes the signature, independently of the adapter's: sorted
// names, name and value appended to the API path, HMAC-SHA256 under the
// app secret, upper-case hex.
func sign(api string, params url.Values) string {
	var b strings.Builder
	b.WriteString(api)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k != "sign" {
			b.WriteString(k + params.Get(k))
		}
	}
	mac := hmac.New(sha256.New, []byte(AppSecret))
	mac.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// redacted is the golden-file line of a request.
func redacted(method, api string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{method, api}
	for _, k := range keys {
		v := params.Get(k)
		switch k {
		case "sign", "timestamp", "access_token", "refresh_token":
			v = strings.ToUpper(k)
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading the request: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	api, params, err := f.check(r, body)
	f.api.Record(redacted(r.Method, api, params))
	f.api.Call(api)
	if err != nil {
		f.t.Errorf("fake: a request outside Lazada's definition: %s %s: %v", r.Method, r.URL.Path, err)
		code, msg := "InvalidParameter", err.Error()
		var pe *protocolError
		if errors.As(err, &pe) {
			code, msg = pe.code, pe.msg
		}
		f.refuse(w, http.StatusBadRequest, code, "ISV", msg)
		return
	}
	if f.api.Failure(w, api) {
		return
	}
	// 10ms of network delay is forgiven (see amazontest).
	if f.api.Limited(api, 10*time.Millisecond) {
		f.refuse(w, http.StatusOK, "ApiCallLimit", "ISV", "Api access frequency exceeds the limit. this ban will last 1 seconds.")
		return
	}
	if api == "/auth/token/refresh" {
		f.serveRefresh(w, params)
		return
	}
	if exp, ok := f.access[params.Get("access_token")]; !ok || !time.Now().Before(exp) {
		f.refuse(w, http.StatusOK, "IllegalAccessToken", "ISV", "The specified access token is invalid or expired")
		return
	}
	switch api {
	case "/products/get":
		f.serveProducts(w, params)
	case "/product/price_quantity/update":
		f.servePriceQuantity(w, params.Get("payload"))
	case "/product/update":
		f.serveProductUpdate(w, params.Get("payload"))
	}
}

func (f *Server) serveRefresh(w http.ResponseWriter, params url.Values) {
	if f.refuseRefresh || params.Get("refresh_token") != f.refresh || !time.Now().Before(f.refreshExp) {
		f.refuse(w, http.StatusOK, "IllegalRefreshToken", "ISV", "The specified refresh token is invalid or expired")
		return
	}
	f.tokenCalls++
	f.issued++
	access := fmt.Sprintf("fake-access-token-%d", f.issued)
	f.refresh = fmt.Sprintf("fake-refresh-token-%d", f.issued)
	f.access[access] = time.Now().Add(AccessLifetime)
	left := int64(time.Until(f.refreshExp) / time.Second)
	// The shape of "Seller authorization introduction", with the
	// envelope's code beside it.
	f.answer(w, http.StatusOK, map[string]any{
		"code": "0", "request_id": strconv.Itoa(f.api.Recorded()),
		"access_token": access, "refresh_token": f.refresh,
		"expires_in": int64(AccessLifetime / time.Second), "refresh_expires_in": left,
		"country": Region, "account": "seller@example.com", "account_platform": "seller_center",
		"country_user_info": []map[string]any{{"country": Region, "seller_id": "1001", "user_id": 10101}},
	})
}

// The layouts of the special price's window in GetProducts' answer.
const (
	timeLayout = "2006-01-02 15:04"
	dateLayout = "2006-01-02"
)

func (f *Server) serveProducts(w http.ResponseWriter, params url.Values) {
	bad := func(code, msg string) {
		f.t.Errorf("fake: GetProducts: %s", msg)
		f.refuse(w, http.StatusBadRequest, code, "ISV", msg)
	}
	filter := params.Get("filter")
	if !slices.Contains([]string{"all", "live", "inactive", "deleted", "pending", "rejected", "sold-out"}, filter) {
		bad("36", "E036: Invalid status filter")
		return
	}
	offset, limit := 0, 20
	if s := params.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 10000 {
			bad("14", fmt.Sprintf("E014: %q Invalid Offset", s))
			return
		}
		offset = n
	}
	if s := params.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			bad("19", "Invalid Limit: at most 50")
			return
		}
		limit = n
	}
	var want map[string]bool
	if s := params.Get("sku_seller_list"); s != "" {
		var list []string
		if err := json.Unmarshal([]byte(s), &list); err != nil || len(list) == 0 || len(list) > 100 {
			bad("70", "E070: You have corrupt data in your sku seller list.")
			return
		}
		want = map[string]bool{}
		for _, s := range list {
			want[s] = true
		}
	}
	// The time filters, each end included ("after or on", "before or on"),
	// compared to the millisecond.
	type bound struct {
		name  string
		after bool
		at    time.Time
		of    func(*Item) time.Time
	}
	var bounds []bound
	for _, b := range []struct {
		name  string
		after bool
		of    func(*Item) time.Time
	}{
		{"create_after", true, func(it *Item) time.Time { return it.Created }},
		{"create_before", false, func(it *Item) time.Time { return it.Created }},
		{"update_after", true, func(it *Item) time.Time { return it.Updated }},
		{"update_before", false, func(it *Item) time.Time { return it.Updated }},
	} {
		s := params.Get(b.name)
		if s == "" {
			continue
		}
		var at time.Time
		var err error
		for _, l := range createdLayouts {
			if at, err = time.Parse(l, s); err == nil {
				break
			}
		}
		if err != nil {
			bad("17", fmt.Sprintf("E017: %q Invalid Date Format", s))
			return
		}
		bounds = append(bounds, bound{b.name, b.after, at, b.of})
	}
	// The items are in created order: the created bounds are a range of
	// them, found by bisection.
	from, to := 0, len(f.items)
	for _, b := range bounds {
		if b.name == "create_after" {
			from = max(from, sort.Search(len(f.items), func(i int) bool { return f.items[i].Created.UnixMilli() >= b.at.UnixMilli() }))
		}
		if b.name == "create_before" {
			to = min(to, sort.Search(len(f.items), func(i int) bool { return f.items[i].Created.UnixMilli() > b.at.UnixMilli() }))
		}
	}
	var sel []*Item
	for _, it := range f.items[min(from, to):to] {
		if slices.ContainsFunc(bounds, func(b bound) bool {
			ms, at := b.of(it).UnixMilli(), b.at.UnixMilli()
			return (b.after && ms < at) || (!b.after && ms > at)
		}) {
			continue
		}
		match := want == nil
		live := false
		for _, s := range it.Skus {
			match = match || want[s.SellerSku]
			live = live || s.Status == "active"
		}
		switch filter {
		case "live":
			match = match && live
		case "inactive":
			match = match && !live
		}
		if match {
			sel = append(sel, it)
		}
	}
	if f.newestFirst {
		slices.Reverse(sel)
	}
	products := []any{}
	f.served += len(sel[min(offset, len(sel)):min(offset+limit, len(sel))])
	for _, it := range sel[min(offset, len(sel)):min(offset+limit, len(sel))] {
		products = append(products, f.render(it))
	}
	f.answer(w, http.StatusOK, envelope{Code: "0", RequestID: strconv.Itoa(f.api.Recorded()), Data: map[string]any{
		"total_products": strconv.Itoa(len(sel)), "products": products,
	}})
}

// render is an item as GetProducts answers it (its reference page's
// sample: item_id a string, SkuId, quantity and prices numbers).
func (f *Server) render(it *Item) map[string]any {
	num := func(s string) any {
		if f.stringNumbers {
			return s
		}
		return json.Number(s)
	}
	skus := make([]any, 0, len(it.Skus))
	for _, s := range it.Skus {
		m := map[string]any{
			"SellerSku": s.SellerSku, "SkuId": num(strconv.FormatInt(s.SkuID, 10)), "Status": s.Status,
			"quantity": num(strconv.FormatInt(s.Quantity, 10)), "price": num(s.Price.String()),
			"ShopSku": fmt.Sprintf("%d_SGAMZ-%d", it.ItemID, s.SkuID), "Available": num(strconv.FormatInt(s.Quantity, 10)),
		}
		if s.SpecialPrice.Valid {
			m["special_price"] = num(s.SpecialPrice.Decimal.String())
			if !s.SpecialFrom.IsZero() {
				m["special_from_time"] = s.SpecialFrom.In(Zone).Format(timeLayout)
				m["special_from_date"] = s.SpecialFrom.In(Zone).Format(dateLayout)
			}
			if !s.SpecialTo.IsZero() {
				m["special_to_time"] = s.SpecialTo.In(Zone).Format(timeLayout)
				m["special_to_date"] = s.SpecialTo.In(Zone).Format(dateLayout)
			}
		}
		skus = append(skus, m)
	}
	attrs := map[string]any{}
	for k, v := range it.Attributes {
		attrs[k] = v
	}
	return map[string]any{
		"item_id": strconv.FormatInt(it.ItemID, 10), "primary_category": "10000211", "status": "Active",
		"created_time": strconv.FormatInt(it.Created.UnixMilli(), 10), "updated_time": strconv.FormatInt(it.Updated.UnixMilli(), 10),
		"attributes": attrs, "skus": skus,
	}
}

// pqPayload is UpdatePriceQuantity's payload in its JSON form.
type pqPayload struct {
	Request struct {
		Product struct {
			Skus struct {
				Sku []struct {
					ItemID        string          `json:"ItemId"`
					SkuID         string          `json:"SkuId"`
					SellerSku     string          `json:"SellerSku"`
					Price         string          `json:"Price"`
					SalePrice     string          `json:"SalePrice"`
					SaleStartDate string          `json:"SaleStartDate"`
					SaleEndDate   string          `json:"SaleEndDate"`
					Quantity      string          `json:"Quantity"`
					Warehouses    json.RawMessage `json:"MultiWarehouseInventories"`
				} `json:"Sku"`
			} `json:"Skus"`
		} `json:"Product"`
	} `json:"Request"`
}

// parseDate reads a SaleStartDate or SaleEndDate in the venture's zone.
func parseDate(s string) (time.Time, error) {
	for _, l := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, Zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

func (f *Server) servePriceQuantity(w http.ResponseWriter, payload string) {
	var p pqPayload
	if err := checkPayload(schemaPriceQuantity, payload, &p); err != nil {
		f.t.Errorf("fake: UpdatePriceQuantity: %v", err)
		f.refuse(w, http.StatusBadRequest, "5", "ISV", "E005: Invalid Request Format: "+err.Error())
		return
	}
	var refused []detail
	for _, in := range p.Request.Product.Skus.Sku {
		no := func(format string, args ...any) {
			refused = append(refused, detail{Field: "SellerSku", SellerSku: in.SellerSku, Message: fmt.Sprintf(format, args...)})
		}
		it, ok := f.bySku[in.SellerSku]
		if !ok {
			no("SELLER_SKU_INVALID")
			continue
		}
		k := slices.IndexFunc(it.Skus, func(s Sku) bool { return s.SellerSku == in.SellerSku })
		s := it.Skus[k]
		switch {
		case in.ItemID != "" && in.ItemID != strconv.FormatInt(it.ItemID, 10):
			no("ItemId %s is not the item of %s", in.ItemID, in.SellerSku)
			continue
		case in.SkuID != "" && in.SkuID != strconv.FormatInt(s.SkuID, 10):
			no("SkuId %s is not %s's", in.SkuID, in.SellerSku)
			continue
		case f.reject[in.SellerSku] != "":
			no("%s", f.reject[in.SellerSku])
			continue
		case len(in.Warehouses) > 0:
			no("this seller has a single warehouse: send Quantity")
			continue
		}
		next := s
		if in.Quantity != "" {
			n, _ := strconv.ParseInt(in.Quantity, 10, 64)
			next.Quantity = n
		}
		if in.Price != "" {
			d := decimal.RequireFromString(in.Price)
			if !d.Equal(d.Round(2)) {
				no("BIZ_CHECK_PRICE_PRECISION_INVALID")
				continue
			}
			if !d.IsPositive() {
				no("BIZ_CHECK_PRICE_IS_ZERO")
				continue
			}
			next.Price = d
		}
		if in.SalePrice != "" {
			d := decimal.RequireFromString(in.SalePrice)
			from, to := time.Time{}, time.Time{}
			var err error
			if in.SaleStartDate != "" {
				if from, err = parseDate(in.SaleStartDate); err != nil {
					no("E017: %v Invalid Date Format", err)
					continue
				}
			}
			if in.SaleEndDate != "" {
				if to, err = parseDate(in.SaleEndDate); err != nil {
					no("E017: %v Invalid Date Format", err)
					continue
				}
			}
			switch {
			case !d.Equal(d.Round(2)):
				no("BIZ_CHECK_SPECIAL_PRICE_PRECISION_INVALID")
				continue
			case !d.IsPositive() || !d.LessThan(next.Price):
				no("BIZ_CHECK_SPECIAL_PRICE_RATE_OUT_OF_RANGE")
				continue
			case !from.IsZero() && !to.IsZero() && from.After(to):
				no("BIZ_CHECK_SPECIAL_PRICE_FROM_DATE_AFTER_TO_DATE")
				continue
			}
			next.SpecialPrice = decimal.NullDecimal{Decimal: d, Valid: true}
			next.SpecialFrom, next.SpecialTo = from, to
		}
		it.Skus[k] = next
		it.Updated = time.Now()
	}
	if len(refused) > 0 {
		f.answer(w, http.StatusOK, envelope{Code: "501", Type: "ISP", Message: "Update product failed", RequestID: strconv.Itoa(f.api.Recorded()), Detail: refused})
		return
	}
	f.answer(w, http.StatusOK, envelope{Code: "0", RequestID: strconv.Itoa(f.api.Recorded()), Data: map[string]any{}})
}

// puPayload is UpdateProduct's payload in its JSON form.
type puPayload struct {
	Request struct {
		Product struct {
			ItemID     string            `json:"ItemId"`
			Attributes map[string]string `json:"Attributes"`
			Skus       struct {
				Sku []struct {
					SkuID string `json:"SkuId"`
				} `json:"Sku"`
			} `json:"Skus"`
		} `json:"Product"`
	} `json:"Request"`
}

func (f *Server) serveProductUpdate(w http.ResponseWriter, payload string) {
	var p puPayload
	if err := checkPayload(schemaProductUpdate, payload, &p); err != nil {
		f.t.Errorf("fake: UpdateProduct: %v", err)
		f.refuse(w, http.StatusBadRequest, "5", "ISV", "E005: Invalid Request Format: "+err.Error())
		return
	}
	in := p.Request.Product
	var it *Item
	for _, x := range f.items {
		if strconv.FormatInt(x.ItemID, 10) == in.ItemID {
			it = x
		}
	}
	if it == nil {
		f.refuse(w, http.StatusOK, "208", "ISV", "E208: Item "+in.ItemID+" does not exist")
		return
	}
	for _, s := range in.Skus.Sku {
		if !slices.ContainsFunc(it.Skus, func(x Sku) bool { return strconv.FormatInt(x.SkuID, 10) == s.SkuID }) {
			f.refuse(w, http.StatusOK, "501", "ISP", "Update product failed: SkuId "+s.SkuID+" is not of item "+in.ItemID)
			return
		}
	}
	maps.Copy(it.Attributes, in.Attributes)
	it.Updated = time.Now()
	f.answer(w, http.StatusOK, envelope{Code: "0", RequestID: strconv.Itoa(f.api.Recorded())})
}
