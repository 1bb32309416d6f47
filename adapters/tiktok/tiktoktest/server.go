// Package tiktoktest is a fake TikTok Shop Partner API (version 202309)
// for accord's tests: an httptest server that signs and checks as TikTok
// does, keeps products, SKUs and orders in memory, and sends webhooks.
//
// [New] starts it with its token endpoint on the same server; tests seed
// listings, read them back, script failures, throttle, expire tokens and
// place orders (OrderHook returns the signed webhook delivery), from the
// adapter's package or any other (the command's end-to-end tests). Every
// request is checked: method and path, query (app_key, a timestamp within
// five minutes, shop_cipher, the parameters the operation takes), the
// x-tts-access-token header, the sign, and the body against the schemas in
// schemas/. A request that fails a check is answered 400 (401 for a wrong
// sign) in TikTok's envelope and fails the test that started it, unless
// the test allowed it (AllowInvalid).
package tiktoktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
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

// The credentials the fake accepts and the shop it serves. Made up.
const (
	AppKey       = "6abcdtestkey"
	AppSecret    = "tts-app-secret-for-tests"     //nolint:gosec // G101: made up for the fake
	RefreshToken = "ROW_refresh-secret-for-tests" //nolint:gosec // G101: made up for the fake
	ShopCipher   = "ROW_shopcipher_test"
	ShopID       = "7494000000000000001"
	WarehouseID  = "7068517275539719942"
	Currency     = "USD"
)

// The fake's operations, as Calls and Fail name them.
const (
	OpSearchProducts  = "search_products"
	OpGetProduct      = "get_product"
	OpUpdatePrice     = "update_price"
	OpUpdateInventory = "update_inventory"
	OpPartialEdit     = "partial_edit"
	OpGetOrders       = "get_orders"
	OpTokenRefresh    = "token_refresh"
)

// SKU is one SKU of a product on the fake.
type SKU struct {
	ID, SellerSKU string
	// Price is the pre-tax price; ListPrice the list (strike-through)
	// price, invalid for none.
	Price     decimal.Decimal
	ListPrice decimal.NullDecimal
	// Inventory is the quantity by warehouse ID.
	Inventory map[string]int64
	// CodeType ("GTIN", "EAN", "UPC", "ISBN") and Code are the SKU's
	// identifier code, "" for none.
	CodeType, Code string
}

// Product is a product on the fake.
type Product struct {
	ID, Title, Description string
	// Status is TikTok's: ACTIVATE, SELLER_DEACTIVATED, DELETED...
	Status string
	SKUs   []SKU
}

func (p Product) clone() Product {
	p.SKUs = slices.Clone(p.SKUs)
	for i := range p.SKUs {
		inv := make(map[string]int64, len(p.SKUs[i].Inventory))
		for k, v := range p.SKUs[i].Inventory {
			inv[k] = v
		}
		p.SKUs[i].Inventory = inv
	}
	return p
}

type orderLine struct {
	id, skuID, productID, sellerSKU string
}

type order struct {
	id, status string
	created    time.Time
	lines      []orderLine
}

// Server is the fake. Its methods are safe to call while a client runs.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	products   map[string]*Product
	order      []string // product IDs, in creation order
	orders     map[string]*order
	tokens     map[string]time.Time // access token -> expiry
	tokenCalls int
	refused    bool
	nextID     int
	rejectInv  map[string]string // seller SKU -> message of a refused inventory update
	// api keeps the failures, the shop's limit (under ""), the counts, the
	// request log and the requests that failed the checks.
	api apitest.Ledger
}

// New starts a fake, closed when the test ends.
func New(t testing.TB) *Server {
	f := &Server{
		t: t, products: map[string]*Product{}, orders: map[string]*order{}, tokens: map[string]time.Time{},
		rejectInv: map[string]string{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL: a channel's endpoint and auth_endpoint.
func (f *Server) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Server) Client() *http.Client { return f.srv.Client() }

// Config is a channel config block pointing every endpoint at the fake,
// with the credentials through env("TIKTOK_APP_KEY"),
// env("TIKTOK_APP_SECRET") and env("TIKTOK_REFRESH_TOKEN") (see Env), and
// extra lines appended.
func (f *Server) Config(extra string) string {
	return fmt.Sprintf(`
app_key       = env("TIKTOK_APP_KEY")
app_secret    = env("TIKTOK_APP_SECRET")
refresh_token = env("TIKTOK_REFRESH_TOKEN")
shop_cipher   = %q
warehouse_id  = %q
endpoint      = %q
auth_endpoint = %q
%s`, ShopCipher, WarehouseID, f.srv.URL, f.srv.URL, extra)
}

// Env is the environment the credentials of Config read.
func (f *Server) Env() map[string]string {
	return map[string]string{"TIKTOK_APP_KEY": AppKey, "TIKTOK_APP_SECRET": AppSecret, "TIKTOK_REFRESH_TOKEN": RefreshToken}
}

func (f *Server) id(prefix string) string {
	f.nextID++
	return fmt.Sprintf("%s%015d", prefix, f.nextID)
}

// Seed puts listings on the fake, each a product of its own with one SKU
// (seller_sku the listing's SKU), ACTIVATE: the price, list price
// (CompareAt) and quantity in WarehouseID, the title and description
// fields, and a gtin, ean, upc or isbn field as the identifier code. A
// listing whose SKU the fake has replaces that SKU's values.
func (f *Server) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		s := SKU{SellerSKU: l.SKU, Price: l.Price.Decimal, ListPrice: l.CompareAt, Inventory: map[string]int64{}}
		if l.Quantity.Valid {
			s.Inventory[WarehouseID] = l.Quantity.Units
		}
		p := &Product{Status: "ACTIVATE"}
		for _, fl := range l.Fields {
			switch fl.Name {
			case "title":
				p.Title = fl.Value
			case "description":
				p.Description = fl.Value
			case "gtin", "ean", "upc", "isbn":
				s.CodeType, s.Code = strings.ToUpper(fl.Name), fl.Value
			}
		}
		if old, i := f.find(l.SKU); old != nil {
			s.ID = old.SKUs[i].ID
			old.SKUs[i] = s
			old.Title, old.Description = p.Title, p.Description
			continue
		}
		p.ID, s.ID = f.id("1729"), f.id("1730")
		p.SKUs = []SKU{s}
		f.products[p.ID] = p
		f.order = append(f.order, p.ID)
	}
}

// Put adds or replaces a product (a product of several SKUs); SKUs and the
// product without an ID are given one. It returns the product as stored.
func (f *Server) Put(p Product) Product {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := p.clone()
	if c.ID == "" {
		c.ID = f.id("1729")
	}
	if c.Status == "" {
		c.Status = "ACTIVATE"
	}
	for i := range c.SKUs {
		if c.SKUs[i].ID == "" {
			c.SKUs[i].ID = f.id("1730")
		}
	}
	if _, ok := f.products[c.ID]; !ok {
		f.order = append(f.order, c.ID)
	}
	f.products[c.ID] = &c
	return c.clone()
}

// Product is a copy of the product of id, and whether there is one.
func (f *Server) Product(id string) (Product, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.products[id]
	if !ok {
		return Product{}, false
	}
	return p.clone(), true
}

// find is the product holding seller SKU s and the SKU's index. f.mu is
// held.
func (f *Server) find(s string) (*Product, int) {
	for _, id := range f.order {
		p := f.products[id]
		for i := range p.SKUs {
			if p.SKUs[i].SellerSKU == s {
				return p, i
			}
		}
	}
	return nil, -1
}

// Listing is the listing of seller SKU sku as the fake holds it (quantity
// in WarehouseID, price, list price as CompareAt, fields, status as
// TikTok's word), and whether there is one.
func (f *Server) Listing(sku string) (adapters.Listing, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, i := f.find(sku)
	if p == nil {
		return adapters.Listing{}, false
	}
	s := p.SKUs[i]
	l := adapters.Listing{Key: adapters.Key{SKU: sku}, Price: decimal.NullDecimal{Decimal: s.Price, Valid: true}, CompareAt: s.ListPrice, Currency: Currency, Status: p.Status}
	if q, ok := s.Inventory[WarehouseID]; ok {
		l.Quantity = adapters.Quantity{Units: q, Valid: true}
	}
	if p.Description != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: "description", Value: p.Description})
	}
	if s.Code != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: strings.ToLower(s.CodeType), Value: s.Code})
	}
	if p.Title != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: "title", Value: p.Title})
	}
	sort.Slice(l.Fields, func(a, b int) bool { return l.Fields[a].Name < l.Fields[b].Name })
	return l, true
}

// Fail answers the next request of operation op (any when "") with
// status, content type and body, after the request's checks.
func (f *Server) Fail(status int, op, contentType, body string) {
	f.api.Fail(status, op, contentType, body)
}

// FailCode answers the next request of op with TikTok's envelope carrying
// code and message, at HTTP status.
func (f *Server) FailCode(status int, op string, code int64, message string) {
	raw, err := json.Marshal(envelope(code, message, nil))
	if err != nil {
		f.t.Errorf("fake: %v", err)
	}
	f.Fail(status, op, "application/json", string(raw))
}

// RejectInventory makes every inventory update of seller SKU sku fail for
// that SKU alone, with message.
func (f *Server) RejectInventory(sku, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejectInv[sku] = message
}

// ExpireTokens makes every access token handed out so far expired.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tokens {
		f.tokens[k] = time.Time{}
	}
}

// RefuseTokens makes the token endpoint refuse the refresh token.
func (f *Server) RefuseTokens(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = refuse
}

// SetLimit throttles the shop's API calls: a request the limiter has no
// token for is answered 429 with code 36009002. Nil lifts it.
func (f *Server) SetLimit(l *rate.Limiter) { f.api.SetLimit("", l) }

// AllowInvalid lets requests fail the fake's checks without failing the
// test (a test of the checks themselves); Invalid counts them.
func (f *Server) AllowInvalid() { f.api.AllowInvalid() }

// Invalid is how many requests failed the fake's checks.
func (f *Server) Invalid() int { return len(f.api.Invalid()) }

// Calls is how many requests of operation op the fake served, refused
// ones included.
func (f *Server) Calls(op string) int { return f.api.Calls(op) }

// Throttled is how many requests SetLimit's limiter refused.
func (f *Server) Throttled() int { return f.api.Throttled() }

// Requests are the API requests served, in order, each as "METHOD
// path?query body" with the timestamp and sign replaced by {timestamp}
// and {sign}: the text of a golden file. Token refreshes are left out (they
// carry the secrets).
func (f *Server) Requests() []string { return f.api.Requests() }

// OrderHook places an order of units of seller SKU sku, as a buyer would:
// the SKU's quantity in WarehouseID falls by units (not below 0) and an
// order AWAITING_SHIPMENT with one line item a unit is kept for the order
// detail read. It returns the ORDER_STATUS_CHANGE webhook TikTok would
// send: its headers (Authorization, the signature) and raw body.
func (f *Server) OrderHook(sku string, units int64) (http.Header, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, i := f.find(sku)
	if p == nil {
		f.t.Errorf("fake: an order of %s, which the fake does not list", sku)
		return http.Header{}, nil
	}
	s := &p.SKUs[i]
	s.Inventory[WarehouseID] = max(s.Inventory[WarehouseID]-units, 0)
	now := time.Now()
	o := &order{id: f.id("5766"), status: "AWAITING_SHIPMENT", created: now}
	for range units {
		o.lines = append(o.lines, orderLine{id: f.id("5767"), skuID: s.ID, productID: p.ID, sellerSKU: sku})
	}
	f.orders[o.id] = o
	body := f.mustJSON(map[string]any{
		"type": 1, "tts_notification_id": f.id("7327"), "shop_id": ShopID, "timestamp": now.Unix(),
		"data": map[string]any{"order_id": o.id, "order_status": o.status, "update_time": now.Unix()},
	})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", webhookSign(body))
	return h, body
}

// ProductHook returns the PRODUCT_INFORMATION_CHANGE webhook (type 15) of
// the product holding seller SKU sku, as TikTok would sign and send it.
func (f *Server) ProductHook(sku string) (http.Header, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, _ := f.find(sku)
	if p == nil {
		f.t.Errorf("fake: a product hook of %s, which the fake does not list", sku)
		return http.Header{}, nil
	}
	now := time.Now()
	body := f.mustJSON(map[string]any{
		"type": 15, "tts_notification_id": f.id("7327"), "shop_id": ShopID, "timestamp": now.Unix(),
		"data": map[string]any{"product_id": p.ID, "update_time": now.Unix()},
	})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", webhookSign(body))
	return h, body
}

// webhookSign is TikTok's webhook signature, computed here on its own
// (not with the adapter's code, which the fake checks).
func webhookSign(body []byte) string {
	m := hmac.New(sha256.New, []byte(AppSecret))
	m.Write([]byte(AppKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// sign is TikTok's request signature, computed here on its own.
func sign(path string, q url.Values, body []byte) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s := AppSecret + path
	for _, k := range keys {
		s += k + q.Get(k)
	}
	s += string(body) + AppSecret
	m := hmac.New(sha256.New, []byte(AppSecret))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func (f *Server) mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		f.t.Errorf("fake: %v", err)
	}
	return raw
}

func envelope(code int64, message string, data any) map[string]any {
	return map[string]any{"code": code, "message": message, "request_id": "2026113016000001FAKE", "data": data}
}

func (f *Server) answer(w http.ResponseWriter, status int, code int64, message string, data any) {
	apitest.WriteJSON(f.t, w, status, "application/json", envelope(code, message, data))
}

var (
	productRoute = regexp.MustCompile(`^/product/202309/products/([0-9]+)(/prices/update|/inventory/update|/partial_edit)?$`)
	// queryParams are the parameters each operation takes besides
	// app_key, timestamp, sign and shop_cipher; required ones marked.
	queryParams = map[string]map[string]bool{
		OpSearchProducts: {"page_size": true, "page_token": false},
		OpGetProduct:     {"return_under_review_version": false},
		OpGetOrders:      {"ids": true},
	}
)

// route names the operation of a request, and the product ID in its path.
func route(method, path string) (string, string) {
	switch {
	case method == http.MethodGet && path == "/api/v2/token/refresh":
		return OpTokenRefresh, ""
	case method == http.MethodPost && path == "/product/202309/products/search":
		return OpSearchProducts, ""
	case method == http.MethodGet && path == "/order/202309/orders":
		return OpGetOrders, ""
	}
	m := productRoute.FindStringSubmatch(path)
	if m == nil {
		return "", ""
	}
	switch {
	case method == http.MethodGet && m[2] == "":
		return OpGetProduct, m[1]
	case method == http.MethodPost && m[2] == "/prices/update":
		return OpUpdatePrice, m[1]
	case method == http.MethodPost && m[2] == "/inventory/update":
		return OpUpdateInventory, m[1]
	case method == http.MethodPost && m[2] == "/partial_edit":
		return OpPartialEdit, m[1]
	}
	return "", ""
}

// badRequest is a request that fails the fake's checks.
type badRequest struct {
	status int
	code   int64
	msg    string
}

// check checks a request as TikTok would before serving it. f.mu is held.
func (f *Server) check(r *http.Request, op string, body []byte) *badRequest {
	q := r.URL.Query()
	// TikTok answers every malformed request with 36009004 and a message
	// saying what is wrong (partner doc "common-errors").
	bad := func(format string, args ...any) *badRequest {
		return &badRequest{status: http.StatusBadRequest, code: 36009004, msg: fmt.Sprintf(format, args...)}
	}
	for k, v := range q {
		if len(v) != 1 {
			return bad("Invalid parameter. The `%s` query parameter is given %d times.", k, len(v))
		}
	}
	if q.Get("app_key") != AppKey {
		return bad("Invalid credentials. Invalid `app_key` query parameter.")
	}
	if q.Get("sign") == "" {
		return bad("Missing credentials. The request does not include a required signature in the query.")
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || ts < 0 {
		return bad("Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.")
	}
	if d := time.Since(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return bad("Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.")
	}
	if q.Get("shop_cipher") != ShopCipher {
		return bad("Invalid identifier. The `shop_cipher` query parameter is invalid.")
	}
	allowed := queryParams[op]
	for k := range q {
		switch k {
		case "app_key", "sign", "timestamp", "shop_cipher":
			continue
		}
		if _, ok := allowed[k]; !ok {
			return bad("Invalid parameter. %s takes no `%s` query parameter.", op, k)
		}
	}
	for k, required := range allowed {
		if required && q.Get(k) == "" {
			return bad("Missing parameter. %s needs the `%s` query parameter.", op, k)
		}
	}
	switch op {
	case OpSearchProducts:
		if n, err := strconv.Atoi(q.Get("page_size")); err != nil || n < 1 || n > 100 {
			return bad("Invalid parameter. page_size %q is not from 1 to 100.", q.Get("page_size"))
		}
	case OpGetOrders:
		if n := len(strings.Split(q.Get("ids"), ",")); n > 50 {
			return bad("Invalid parameter. ids holds %d order IDs, at most 50.", n)
		}
	}
	if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return bad("Invalid content type %q.", r.Header.Get("Content-Type"))
	}
	if r.Method == http.MethodGet && len(body) > 0 {
		return bad("A GET request with a body.")
	}
	if err := validateBody(op, body); err != nil {
		return bad("Invalid request body: %v", err)
	}
	if want := sign(r.URL.Path, q, body); !hmac.Equal([]byte(q.Get("sign")), []byte(want)) {
		return &badRequest{status: http.StatusUnauthorized, code: 106001, msg: "Invalid credentials. The 'sign' query parameter is invalid."}
	}
	return nil
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading the request: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	op, pid := route(r.Method, r.URL.Path)
	if op == OpTokenRefresh {
		f.serveToken(w, r)
		return
	}
	if op == "" {
		if f.api.Reject("no such operation: " + r.Method + " " + r.URL.Path) {
			f.t.Errorf("fake: no such operation: %s %s", r.Method, r.URL.Path)
		}
		f.answer(w, http.StatusNotFound, 36009009, "Invalid path.", nil)
		return
	}
	f.api.Call(op)
	f.record(r, body)
	if bad := f.check(r, op, body); bad != nil {
		if f.api.Reject(r.Method + " " + r.URL.Path + ": " + bad.msg) {
			f.t.Errorf("fake: a request TikTok would refuse: %s %s: %s", r.Method, r.URL.Path, bad.msg)
		}
		f.answer(w, bad.status, bad.code, bad.msg, nil)
		return
	}
	exp, ok := f.tokens[r.Header.Get("x-tts-access-token")]
	switch {
	case !ok:
		f.answer(w, http.StatusUnauthorized, 105001, "Invalid credentials. The `x-tts-access-token` header is invalid.", nil)
		return
	case !time.Now().Before(exp):
		f.answer(w, http.StatusUnauthorized, 105002, "Expired credentials. The 'access_token' or 'x-tts-access-token' header has expired.", nil)
		return
	}
	if f.api.Failure(w, op) {
		return
	}
	if f.api.Limited("", 0) {
		f.answer(w, http.StatusTooManyRequests, 36009002, "Too many requests. The rate limit of this API has been exceeded.", nil)
		return
	}
	switch op {
	case OpSearchProducts:
		f.serveSearch(w, r, body)
	case OpGetProduct:
		f.serveProduct(w, pid)
	case OpUpdatePrice:
		f.servePrice(w, pid, body)
	case OpUpdateInventory:
		f.serveInventory(w, pid, body)
	case OpPartialEdit:
		f.serveEdit(w, pid, body)
	case OpGetOrders:
		f.serveOrders(w, r)
	}
}

// record keeps a request's line for Requests. f.mu is held.
func (f *Server) record(r *http.Request, body []byte) {
	q := r.URL.Query()
	if q.Has("timestamp") {
		q.Set("timestamp", "{timestamp}")
	}
	if q.Has("sign") {
		q.Set("sign", "{sign}")
	}
	line := r.Method + " " + r.URL.Path
	if enc := q.Encode(); enc != "" {
		enc = strings.NewReplacer("%7B", "{", "%7D", "}").Replace(enc)
		line += "?" + enc
	}
	if len(body) > 0 {
		line += " " + string(body)
	}
	f.api.Record(line)
}

func (f *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	f.tokenCalls++
	f.api.Call(OpTokenRefresh)
	q := r.URL.Query()
	if q.Get("app_key") != AppKey || q.Get("app_secret") != AppSecret || q.Get("grant_type") != "refresh_token" {
		f.answer(w, http.StatusOK, 36004004, "Invalid app_key, app_secret or grant_type.", nil)
		return
	}
	if f.refused || q.Get("refresh_token") != RefreshToken {
		f.answer(w, http.StatusOK, 36004004, "The refresh_token is invalid or expired.", nil)
		return
	}
	if f.api.NamedFailure(w, OpTokenRefresh) {
		return
	}
	tok := f.id("ROW_access-")
	exp := time.Now().Add(7 * 24 * time.Hour)
	f.tokens[tok] = exp
	f.answer(w, http.StatusOK, 0, "success", map[string]any{
		"access_token": tok, "access_token_expire_in": exp.Unix(),
		"refresh_token": RefreshToken, "refresh_token_expire_in": time.Now().Add(365 * 24 * time.Hour).Unix(),
		"open_id": "fake-open-id", "seller_name": "Fake shop", "seller_base_region": "US", "user_type": 0,
		"granted_scopes": []string{"seller.product.basic", "seller.order.info"},
	})
}

// renderSKU is a SKU as search and product reads answer it.
func renderSKU(s SKU, detail bool) map[string]any {
	inv := []any{}
	whs := make([]string, 0, len(s.Inventory))
	for wh := range s.Inventory {
		whs = append(whs, wh)
	}
	sort.Strings(whs)
	for _, wh := range whs {
		inv = append(inv, map[string]any{"warehouse_id": wh, "quantity": s.Inventory[wh]})
	}
	out := map[string]any{
		"id": s.ID, "seller_sku": s.SellerSKU, "inventory": inv,
		"price": map[string]any{"currency": Currency, "tax_exclusive_price": s.Price.String(), "sale_price": s.Price.String()},
	}
	if s.ListPrice.Valid {
		out["list_price"] = map[string]any{"amount": s.ListPrice.Decimal.String(), "currency": Currency}
	}
	if detail && s.Code != "" {
		out["identifier_code"] = map[string]any{"code": s.Code, "type": s.CodeType}
	}
	return out
}

func (f *Server) serveSearch(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Status     string   `json:"status"`
		SellerSKUs []string `json:"seller_skus"`
	}
	_ = json.Unmarshal(body, &req)
	want := map[string]bool{}
	for _, s := range req.SellerSKUs {
		want[s] = true
	}
	var ids []string
	for _, id := range f.order {
		p := f.products[id]
		if req.Status != "" && req.Status != "ALL" && p.Status != req.Status {
			continue
		}
		match := len(want) == 0
		for _, s := range p.SKUs {
			match = match || want[s.SellerSKU]
		}
		if match {
			ids = append(ids, id)
		}
	}
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("page_size"))
	start := 0
	if tok := q.Get("page_token"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "cursor-"))
		if err != nil || !strings.HasPrefix(tok, "cursor-") || n > len(ids) {
			f.answer(w, http.StatusBadRequest, 36009004, "Invalid parameter. The page_token is invalid.", nil)
			return
		}
		start = n
	}
	end := min(start+size, len(ids))
	products := []any{}
	for _, id := range ids[start:end] {
		p := f.products[id]
		skus := []any{}
		for _, s := range p.SKUs {
			skus = append(skus, renderSKU(s, false))
		}
		products = append(products, map[string]any{
			"id": p.ID, "title": p.Title, "status": p.Status, "skus": skus,
			"sales_regions": []string{"US"}, "create_time": 1700000000, "update_time": 1700000000,
		})
	}
	data := map[string]any{"products": products, "total_count": len(ids), "next_page_token": ""}
	if end < len(ids) {
		data["next_page_token"] = "cursor-" + strconv.Itoa(end)
	}
	f.answer(w, http.StatusOK, 0, "Success", data)
}

// noProduct answers a product ID the shop does not have (the code is the
// fake's: TikTok's is unconfirmed).
func (f *Server) noProduct(w http.ResponseWriter, pid string) {
	f.answer(w, http.StatusOK, 12052048, "Product "+pid+" does not exist in this shop.", nil)
}

func (f *Server) serveProduct(w http.ResponseWriter, pid string) {
	p, ok := f.products[pid]
	if !ok {
		f.noProduct(w, pid)
		return
	}
	skus := []any{}
	for _, s := range p.SKUs {
		skus = append(skus, renderSKU(s, true))
	}
	f.answer(w, http.StatusOK, 0, "Success", map[string]any{
		"id": p.ID, "title": p.Title, "description": p.Description, "status": p.Status, "skus": skus,
	})
}

// skuOf is the SKU of product p with SKU ID id.
func skuOf(p *Product, id string) *SKU {
	for i := range p.SKUs {
		if p.SKUs[i].ID == id {
			return &p.SKUs[i]
		}
	}
	return nil
}

func (f *Server) servePrice(w http.ResponseWriter, pid string, body []byte) {
	p, ok := f.products[pid]
	if !ok {
		f.noProduct(w, pid)
		return
	}
	var req struct {
		SKUs []struct {
			ID        string `json:"id"`
			Price     struct{ Amount, Currency string }
			ListPrice *struct{ Amount, Currency string } `json:"list_price"`
		} `json:"skus"`
	}
	_ = json.Unmarshal(body, &req)
	// All or nothing: every SKU is checked before any is set.
	for _, s := range req.SKUs {
		if skuOf(p, s.ID) == nil {
			f.answer(w, http.StatusOK, 12052217, "SKU "+s.ID+" does not belong to product "+pid+".", nil)
			return
		}
		d, _ := decimal.NewFromString(s.Price.Amount)
		if s.Price.Currency != Currency || !d.IsPositive() || (s.ListPrice != nil && s.ListPrice.Currency != Currency) {
			f.answer(w, http.StatusOK, 12052230, "Invalid price or currency for SKU "+s.ID+".", nil)
			return
		}
	}
	for _, s := range req.SKUs {
		x := skuOf(p, s.ID)
		x.Price, _ = decimal.NewFromString(s.Price.Amount)
		if s.ListPrice != nil {
			d, _ := decimal.NewFromString(s.ListPrice.Amount)
			x.ListPrice = decimal.NullDecimal{Decimal: d, Valid: true}
		}
	}
	f.answer(w, http.StatusOK, 0, "Success", map[string]any{})
}

func (f *Server) serveInventory(w http.ResponseWriter, pid string, body []byte) {
	p, ok := f.products[pid]
	if !ok {
		f.noProduct(w, pid)
		return
	}
	var req struct {
		SKUs []struct {
			ID        string `json:"id"`
			Inventory []struct {
				WarehouseID string `json:"warehouse_id"`
				Quantity    int64  `json:"quantity"`
			} `json:"inventory"`
		} `json:"skus"`
	}
	_ = json.Unmarshal(body, &req)
	errs := []any{}
	refuse := func(skuID string, code int64, msg string) {
		errs = append(errs, map[string]any{"code": code, "message": msg, "detail": map[string]any{"sku_id": skuID}})
	}
	for _, s := range req.SKUs {
		x := skuOf(p, s.ID)
		switch {
		case x == nil:
			refuse(s.ID, 12052217, "SKU "+s.ID+" does not belong to product "+pid+".")
			continue
		case f.rejectInv[x.SellerSKU] != "":
			refuse(s.ID, 12019100, f.rejectInv[x.SellerSKU])
			continue
		}
		for _, inv := range s.Inventory {
			wh := inv.WarehouseID
			if wh == "" {
				wh = WarehouseID
			}
			if wh != WarehouseID {
				refuse(s.ID, 12019102, "Warehouse "+wh+" is not one of the shop's.")
				continue
			}
			x.Inventory[wh] = inv.Quantity
		}
	}
	data := map[string]any{}
	if len(errs) > 0 {
		data["errors"] = errs
	}
	f.answer(w, http.StatusOK, 0, "Success", data)
}

func (f *Server) serveEdit(w http.ResponseWriter, pid string, body []byte) {
	p, ok := f.products[pid]
	if !ok {
		f.noProduct(w, pid)
		return
	}
	var req struct {
		Title       *string `json:"title"`
		Description *string `json:"description"`
	}
	_ = json.Unmarshal(body, &req)
	if req.Title != nil {
		p.Title = *req.Title
	}
	if req.Description != nil {
		p.Description = *req.Description
	}
	skus := []any{}
	for _, s := range p.SKUs {
		skus = append(skus, map[string]any{"id": s.ID, "seller_sku": s.SellerSKU})
	}
	f.answer(w, http.StatusOK, 0, "Success", map[string]any{"product_id": p.ID, "skus": skus, "warnings": []any{}, "audit": map[string]any{"status": "AUDITING"}})
}

func (f *Server) serveOrders(w http.ResponseWriter, r *http.Request) {
	orders := []any{}
	for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
		o, ok := f.orders[id]
		if !ok {
			continue
		}
		lines := []any{}
		for _, l := range o.lines {
			lines = append(lines, map[string]any{"id": l.id, "sku_id": l.skuID, "product_id": l.productID, "seller_sku": l.sellerSKU,
				"display_status": o.status, "is_gift": false, "currency": Currency})
		}
		orders = append(orders, map[string]any{"id": o.id, "status": o.status, "create_time": o.created.Unix(), "update_time": o.created.Unix(), "line_items": lines})
	}
	f.answer(w, http.StatusOK, 0, "Success", map[string]any{"orders": orders})
}
