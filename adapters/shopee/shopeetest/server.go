package shopeetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
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

// The shop the fake serves and the app's credentials. The partner and
// shop IDs are those of the worked signature example of Shopee's
// API-calls guide; the secrets are made up.
const (
	PartnerID    int64 = 2001887
	ShopID       int64 = 14701711
	PartnerKey         = "shpk7a1f0c2e9b84d3a6e5f1029384756abcdef0123456789abcdef01234567"
	AccessToken        = "59777174636562737266615546704c6d"
	RefreshToken       = "4c7259534969484e71734d695a6e6d55"
	// DiscountID is the seller discount promotion the fake keeps for
	// accord's compare-at prices.
	DiscountID int64 = 700000001
	// Currency is the shop's currency (two decimal places, as Shopee
	// allows SG sellers).
	Currency = "SGD"
)

// window is how far a request's timestamp may be from the fake's clock
// (DOC: 5 minutes).
const window = 5 * time.Minute

// tokenLife is an access token's life (DOC: 4 hours).
const tokenLife = 4 * time.Hour

// Listing is what the fake holds for one seller SKU.
type Listing struct {
	ItemID, ModelID int64
	SKU, Title      string
	GTIN            string
	// ItemStatus is NORMAL, UNLIST, BANNED or REVIEWING.
	ItemStatus string
	// Original is original_price, Current current_price (the promotion
	// price while one runs).
	Original, Current decimal.Decimal
	// Stock is the seller stock (of its one location).
	Stock int64
	// PromotionID is the promotion the listing is in, 0 for none.
	PromotionID int64
}

// unit is an item without models (id 0) or one model.
type unit struct {
	id        int64
	sku       string
	gtin      string
	status    string // model_status
	original  decimal.Decimal
	promoID   int64
	promo     decimal.Decimal
	locations []location
	fbs       bool
}

type location struct {
	id    string
	stock int64
}

type item struct {
	id     int64
	name   string
	status string
	models bool
	units  []*unit
}

// apiSpec is what the fake knows of one API: its method, whether it is
// public, its query parameters (name -> kind: "int", "ints", "status",
// "bool") and which are required.
type apiSpec struct {
	name, method string
	public       bool
	params       map[string]string
	required     []string
}

var specs = map[string]apiSpec{
	"/api/v2/product/get_item_list": {name: "get_item_list", method: http.MethodGet,
		params:   map[string]string{"offset": "int", "page_size": "page", "item_status": "status", "update_time_from": "int", "update_time_to": "int"},
		required: []string{"offset", "page_size", "item_status"}},
	"/api/v2/product/get_item_base_info": {name: "get_item_base_info", method: http.MethodGet,
		params:   map[string]string{"item_id_list": "ids", "need_tax_info": "bool", "need_complaint_policy": "bool"},
		required: []string{"item_id_list"}},
	"/api/v2/product/get_model_list": {name: "get_model_list", method: http.MethodGet,
		params: map[string]string{"item_id": "int"}, required: []string{"item_id"}},
	"/api/v2/product/update_price":          {name: "update_price", method: http.MethodPost},
	"/api/v2/product/update_stock":          {name: "update_stock", method: http.MethodPost},
	"/api/v2/product/update_item":           {name: "update_item", method: http.MethodPost},
	"/api/v2/discount/add_discount_item":    {name: "add_discount_item", method: http.MethodPost},
	"/api/v2/discount/update_discount_item": {name: "update_discount_item", method: http.MethodPost},
	"/api/v2/discount/delete_discount_item": {name: "delete_discount_item", method: http.MethodPost},
	"/api/v2/auth/access_token/get":         {name: "refresh_access_token", method: http.MethodPost, public: true},
}

// Server is a fake Shopee Open Platform on an httptest server. It checks
// every request as Shopee documents it (method, path, query parameters,
// the signature and its 5-minute timestamp window, the access token and
// shop, the JSON body against the schemas), answers in Shopee's envelope
// and keeps the shop's items in memory. A request outside the
// documentation is answered 400 (403 for a wrong signature or timestamp)
// with Shopee's error shape and recorded: the test that started the fake
// fails at its end unless it called ExpectInvalid. Its methods are safe
// to call while a client runs.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	now         func() time.Time
	items       map[int64]*item
	nextID      int64
	access      map[string]time.Time // access token -> expiry
	refresh     map[string]bool      // refresh token -> still valid
	revoked     bool
	tokenSeq    int
	rejectModel map[string]string // api + " " + sku -> failed_reason
	warning     string
	decimals    int32
	currency    string
	// api keeps the failures, limits, counts, request log and the
	// requests outside the documentation.
	api apitest.Ledger
}

// New starts a fake shop holding nothing, closed when the test ends.
func New(t testing.TB) *Server {
	f := &Server{
		t: t, now: time.Now, items: map[int64]*item{}, nextID: 100000,
		access: map[string]time.Time{}, refresh: map[string]bool{RefreshToken: true},
		rejectModel: map[string]string{}, decimals: 2, currency: Currency,
	}
	f.access[AccessToken] = time.Now().Add(tokenLife)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.Close()
		if bad := f.api.Unallowed(); len(bad) > 0 {
			t.Errorf("shopeetest: requests outside Shopee's documentation:\n%s", strings.Join(bad, "\n"))
		}
	})
	return f
}

// URL is the fake's base URL: a channel's endpoint.
func (f *Server) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Server) Client() *http.Client { return f.srv.Client() }

// Config is a channel config block body pointing at the fake, with the
// secrets through env("SHOPEE_PARTNER_KEY"), env("SHOPEE_ACCESS_TOKEN")
// and env("SHOPEE_REFRESH_TOKEN"), the fake's discount as discount_id, and
// extra lines appended.
func (f *Server) Config(extra string) string {
	return fmt.Sprintf(`
partner_id    = %d
shop_id       = %d
partner_key   = env("SHOPEE_PARTNER_KEY")
access_token  = env("SHOPEE_ACCESS_TOKEN")
refresh_token = env("SHOPEE_REFRESH_TOKEN")
endpoint      = %q
discount_id   = %d
%s`, PartnerID, ShopID, f.srv.URL, DiscountID, extra)
}

// Env is the environment the secrets of Config read.
func Env() map[string]string {
	return map[string]string{"SHOPEE_PARTNER_KEY": PartnerKey, "SHOPEE_ACCESS_TOKEN": AccessToken, "SHOPEE_REFRESH_TOKEN": RefreshToken}
}

// SetClock sets the fake's clock, against which timestamps and tokens
// are checked (time.Now at first).
func (f *Server) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// SetCurrency makes the shop's prices currency with decimals places (0:
// Shopee takes whole prices only, as outside SG/MY/BR/MX/PL/ES/AR).
func (f *Server) SetCurrency(currency string, decimals int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.currency, f.decimals = currency, decimals
}

// Seed puts listings on the fake, each as an item without models: item_sku
// the SKU, item_name the title, original_price the price, seller stock the
// quantity (0 when unmanaged). A listing with a compare-at price is in the
// fake's discount: original_price the compare-at, the price its
// promotion price.
func (f *Server) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		f.nextID++
		it := &item{id: f.nextID, name: title(l), status: "NORMAL"}
		it.units = []*unit{f.unitOf(0, l)}
		f.items[it.id] = it
	}
}

// SeedVariants puts one item with a model per listing on the fake (named
// after the first listing's title) and returns its item ID.
func (f *Server) SeedVariants(ls []adapters.Listing) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	it := &item{id: f.nextID, status: "NORMAL", models: true}
	if len(ls) > 0 {
		it.name = title(ls[0])
	}
	for _, l := range ls {
		f.nextID++
		it.units = append(it.units, f.unitOf(f.nextID, l))
	}
	f.items[it.id] = it
	return it.id
}

func title(l adapters.Listing) string {
	if t, ok := l.Field("title"); ok {
		return t
	}
	return l.SKU
}

func (f *Server) unitOf(id int64, l adapters.Listing) *unit {
	u := &unit{id: id, sku: l.SKU, status: "MODEL_NORMAL", original: l.Price.Decimal}
	u.gtin, _ = l.Field("gtin")
	if l.CompareAt.Valid {
		u.original, u.promoID, u.promo = l.CompareAt.Decimal, DiscountID, l.Price.Decimal
	}
	u.locations = []location{{stock: l.Quantity.Units}}
	return u
}

// find returns the item and unit of sku. f.mu is held.
func (f *Server) find(sku string) (*item, *unit) {
	for _, id := range f.itemIDs() {
		it := f.items[id]
		for _, u := range it.units {
			if u.sku == sku {
				return it, u
			}
		}
	}
	return nil, nil
}

func (f *Server) itemIDs() []int64 {
	ids := make([]int64, 0, len(f.items))
	for id := range f.items {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Listing returns what the fake holds for sku.
func (f *Server) Listing(sku string) (Listing, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, u := f.find(sku)
	if u == nil {
		return Listing{}, false
	}
	l := Listing{ItemID: it.id, ModelID: u.id, SKU: u.sku, Title: it.name, GTIN: u.gtin, ItemStatus: it.status,
		Original: u.original, Current: u.current(), PromotionID: u.promoID}
	for _, loc := range u.locations {
		l.Stock += loc.stock
	}
	return l, true
}

func (u *unit) current() decimal.Decimal {
	if u.promoID != 0 {
		return u.promo
	}
	return u.original
}

// Edit changes what the fake holds for sku, as the seller would in Seller
// Centre: set the item status ("UNLIST"...), fulfil it by Shopee, or split
// its stock across warehouses (locations, by location ID).
func (f *Server) Edit(sku string, itemStatus string, fbs bool, locations map[string]int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, u := f.find(sku)
	if u == nil {
		f.t.Fatalf("shopeetest: no SKU %s", sku)
	}
	if itemStatus != "" {
		it.status = itemStatus
	}
	u.fbs = fbs
	if locations != nil {
		u.locations = nil
		ids := make([]string, 0, len(locations))
		for id := range locations {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			u.locations = append(u.locations, location{id: id, stock: locations[id]})
		}
	}
}

// SetPromotion puts sku in a promotion that is not accord's discount (a
// campaign, a flash sale) at price; id 0 takes it out.
func (f *Server) SetPromotion(sku string, id int64, price decimal.Decimal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, u := f.find(sku)
	if u == nil {
		f.t.Fatalf("shopeetest: no SKU %s", sku)
	}
	u.promoID, u.promo = id, price
}

// RejectModel makes the named API (update_price, update_stock) put sku in
// its failure_list with reason.
func (f *Server) RejectModel(api, sku, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejectModel[api+" "+sku] = reason
}

// SetWarning makes every answer carry warning ("" for none).
func (f *Server) SetWarning(w string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warning = w
}

// Fail answers the next request of the named API (any when "") with
// status, content type and body, after checking it.
func (f *Server) Fail(status int, api, contentType, body string) {
	f.api.Fail(status, api, contentType, body)
}

// ExpireTokens makes every access token handed out so far expired.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.access {
		f.access[k] = time.Time{}
	}
}

// RevokeTokens retires every refresh token (as another process refreshing
// them, or the seller cancelling the authorisation, would): refreshing is
// answered error_auth "Invalid refresh_token.".
func (f *Server) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.refresh {
		f.refresh[k] = false
	}
	f.revoked = true
}

// Tokens are the newest access and refresh tokens the fake handed out.
func (f *Server) Tokens() (access, refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokenSeq == 0 {
		return AccessToken, RefreshToken
	}
	return token("access", f.tokenSeq), token("refresh", f.tokenSeq)
}

func token(kind string, n int) string {
	m := hmac.New(sha256.New, []byte("shopeetest"))
	_, _ = m.Write([]byte(kind + "-" + strconv.Itoa(n)))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// SetLimit enforces a rate on the named API: a request the limiter has no
// token for is answered 429 (the throttling answer is unconfirmed; the
// fake answers as REF's other modules do, "Too many requests, please try
// again later"). A nil limiter lifts it.
func (f *Server) SetLimit(api string, l *rate.Limiter) { f.api.SetLimit(api, l) }

// Throttled is how many requests a limit answered 429.
func (f *Server) Throttled() int { return f.api.Throttled() }

// Calls is how many requests of the named API the fake served, refused
// ones included.
func (f *Server) Calls(api string) int { return f.api.Calls(api) }

// Requests are the requests served, in order, each as "METHOD
// path?query body" with the query sorted and the timestamp, signature and
// access token replaced by placeholders: the text of a golden file.
func (f *Server) Requests() []string { return f.api.Requests() }

// Invalid are the requests the fake refused as outside Shopee's
// documentation, with why.
func (f *Server) Invalid() []string { return f.api.Invalid() }

// ExpectInvalid tells the fake that the test sends requests outside the
// documentation on purpose (a wrong key, a clock off by hours).
func (f *Server) ExpectInvalid() { f.api.AllowInvalid() }

// Sign is the signature of a request (see the adapter's package comment):
// exported for tests that build requests by hand.
func Sign(partnerKey string, partnerID int64, path string, timestamp int64, accessToken string, shopID int64) string {
	base := strconv.FormatInt(partnerID, 10) + path + strconv.FormatInt(timestamp, 10)
	if accessToken != "" || shopID != 0 {
		base += accessToken + strconv.FormatInt(shopID, 10)
	}
	m := hmac.New(sha256.New, []byte(partnerKey))
	m.Write([]byte(base))
	return hex.EncodeToString(m.Sum(nil))
}

func (f *Server) requestID() string {
	return fmt.Sprintf("%032x", f.api.Recorded())
}

// answer writes an envelope.
func (f *Server) answer(w http.ResponseWriter, status int, code, msg string, response any) {
	env := map[string]any{"request_id": f.requestID(), "error": code, "message": msg}
	if response != nil {
		env["response"] = response
		env["warning"] = f.warning
	}
	f.writeJSON(w, status, env)
}

// writeJSON writes v as a JSON answer.
func (f *Server) writeJSON(w http.ResponseWriter, status int, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("shopeetest: writing an answer: %v", err)
	}
}

// refuse answers a request outside the documentation and records it.
func (f *Server) refuse(w http.ResponseWriter, status int, code, msg string, r *http.Request) {
	f.api.Reject(fmt.Sprintf("%s %s: %s: %s", r.Method, r.URL.Path, code, msg))
	f.answer(w, status, code, msg, nil)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("shopeetest: reading the request: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	spec, ok := specs[r.URL.Path]
	if !ok {
		f.refuse(w, http.StatusNotFound, "error_not_found", "no such API path "+r.URL.Path, r)
		return
	}
	f.api.Call(spec.name)
	f.record(r, body)
	if why := f.check(spec, r, body); why != "" {
		status, code := http.StatusBadRequest, "error_param"
		switch {
		case strings.HasPrefix(why, "sign:"):
			status, code, why = http.StatusForbidden, "error_sign", "Wrong sign."
		case strings.HasPrefix(why, "timestamp:"):
			status, why = http.StatusForbidden, "Invalid timestamp"
		}
		f.refuse(w, status, code, why, r)
		return
	}
	q := r.URL.Query()
	if !spec.public {
		exp, known := f.access[q.Get("access_token")]
		if !known || !f.now().Before(exp) {
			f.answer(w, http.StatusForbidden, "error_auth", "Invalid access_token.", nil)
			return
		}
	}
	if f.api.Failure(w, spec.name) {
		return
	}
	if f.api.Limited(spec.name, 0) {
		f.answer(w, http.StatusTooManyRequests, "error_server", "Too many requests, please try again later", nil)
		return
	}
	switch spec.name {
	case "get_item_list":
		f.serveItemList(w, q)
	case "get_item_base_info":
		f.serveBaseInfo(w, q)
	case "get_model_list":
		f.serveModelList(w, q)
	case "update_price", "update_stock":
		f.serveUpdate(w, spec.name, body)
	case "update_item":
		f.serveUpdateItem(w, body)
	case "add_discount_item", "update_discount_item":
		f.serveDiscount(w, spec.name, body)
	case "delete_discount_item":
		f.serveDeleteDiscount(w, body)
	case "refresh_access_token":
		f.serveRefresh(w, r, body)
	}
}

// record keeps the request for Requests, without its secrets.
func (f *Server) record(r *http.Request, body []byte) {
	q := r.URL.Query()
	for k, ph := range map[string]string{"timestamp": "<timestamp>", "sign": "<sign>", "access_token": "<access_token>"} {
		if q.Has(k) {
			q.Set(k, ph)
		}
	}
	qs := q.Encode()
	if decoded, err := url.QueryUnescape(qs); err == nil {
		qs = decoded
	}
	line := r.Method + " " + r.URL.Path + "?" + qs
	if len(body) > 0 {
		b := string(body)
		for _, sec := range []string{RefreshToken, f.refreshTokensText()} {
			if sec != "" {
				b = strings.ReplaceAll(b, sec, "<refresh_token>")
			}
		}
		line += " " + b
	}
	f.api.Record(line)
}

// refreshTokensText is the newest refresh token handed out ("" for none).
func (f *Server) refreshTokensText() string {
	if f.tokenSeq == 0 {
		return ""
	}
	return token("refresh", f.tokenSeq)
}

// check says what is wrong with a request ("" when nothing is), prefixed
// "sign:" or "timestamp:" for a signature or timestamp.
func (f *Server) check(spec apiSpec, r *http.Request, body []byte) string {
	if r.Method != spec.method {
		return fmt.Sprintf("%s takes %s, not %s", spec.name, spec.method, r.Method)
	}
	q := r.URL.Query()
	common := []string{"partner_id", "timestamp", "sign"}
	if !spec.public {
		common = append(common, "access_token", "shop_id")
	}
	for _, k := range common {
		if len(q[k]) != 1 || q.Get(k) == "" {
			return "There is no " + k + " in query."
		}
	}
	if q.Get("partner_id") != strconv.FormatInt(PartnerID, 10) {
		return "Invalid partner_id."
	}
	if !spec.public && q.Get("shop_id") != strconv.FormatInt(ShopID, 10) {
		return "shopid is invalid"
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return "timestamp: not a number"
	}
	if d := f.now().Sub(time.Unix(ts, 0)); d > window || d < -window {
		return "timestamp: outside the 5-minute window"
	}
	want := Sign(PartnerKey, PartnerID, r.URL.Path, ts, q.Get("access_token"), 0)
	if !spec.public {
		want = Sign(PartnerKey, PartnerID, r.URL.Path, ts, q.Get("access_token"), ShopID)
	}
	if !hmac.Equal([]byte(q.Get("sign")), []byte(want)) {
		return "sign: wrong"
	}
	for k, vs := range q {
		if slices.Contains(common, k) {
			continue
		}
		kind, known := spec.params[k]
		if !known {
			return fmt.Sprintf("%s takes no parameter %s", spec.name, k)
		}
		if why := checkParam(kind, vs); why != "" {
			return fmt.Sprintf("%s: %s", k, why)
		}
	}
	for _, k := range spec.required {
		if !q.Has(k) {
			return fmt.Sprintf("%s requires %s", spec.name, k)
		}
	}
	if spec.method == http.MethodGet {
		if len(body) > 0 {
			return spec.name + " takes its parameters in the query, not a body"
		}
		return ""
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return "the body is not sent as application/json"
	}
	if err := validateBody(spec.name, body); err != nil {
		return fmt.Sprintf("the body does not validate against schemas/%s.json: %v", spec.name, err)
	}
	return ""
}

func checkParam(kind string, vs []string) string {
	if kind != "status" && len(vs) != 1 {
		return "given more than once"
	}
	switch kind {
	case "int":
		if n, err := strconv.ParseInt(vs[0], 10, 64); err != nil || n < 0 {
			return vs[0] + " is not a whole number"
		}
	case "page":
		if n, err := strconv.Atoi(vs[0]); err != nil || n < 1 || n > 100 {
			return "Invalid page_size, page_size must larger than 0 and cannot exceed 100"
		}
	case "bool":
		if vs[0] != "true" && vs[0] != "false" {
			return vs[0] + " is not a boolean"
		}
	case "ids":
		parts := strings.Split(vs[0], ",")
		if len(parts) > 50 {
			return "item_id_list is blank or exceeded max limit."
		}
		for _, p := range parts {
			if n, err := strconv.ParseInt(p, 10, 64); err != nil || n <= 0 {
				return "item_id_list is blank or exceeded max limit."
			}
		}
	case "status":
		for _, v := range vs {
			if !slices.Contains([]string{"NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE"}, v) {
				return v + " is not an item status (repeat item_status for several)"
			}
		}
	}
	return ""
}

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

func (f *Server) serveItemList(w http.ResponseWriter, q url.Values) {
	offset, _ := strconv.Atoi(q.Get("offset"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	var ids []int64
	for _, id := range f.itemIDs() {
		if slices.Contains(q["item_status"], f.items[id].status) {
			ids = append(ids, id)
		}
	}
	list := []map[string]any{}
	end := min(offset+size, len(ids))
	for _, id := range ids[min(offset, len(ids)):end] {
		list = append(list, map[string]any{"item_id": id, "item_status": f.items[id].status, "update_time": 1700000000, "tag": map[string]any{"kit": false}})
	}
	f.answer(w, http.StatusOK, "", "", map[string]any{
		"item": list, "total_count": len(ids), "has_next_page": end < len(ids), "next_offset": end,
	})
}

func (f *Server) priceInfo(u *unit) []map[string]any {
	return []map[string]any{{
		"currency": f.currency, "original_price": num(u.original), "current_price": num(u.current()),
		"inflated_price_of_original_price": num(u.original), "inflated_price_of_current_price": num(u.current()),
	}}
}

func stockInfo(u *unit) map[string]any {
	seller := []map[string]any{}
	total := int64(0)
	for _, l := range u.locations {
		e := map[string]any{"stock": l.stock, "if_saleable": true}
		if l.id != "" {
			e["location_id"] = l.id
		}
		seller = append(seller, e)
		total += l.stock
	}
	return map[string]any{
		"summary_info": map[string]any{"total_reserved_stock": 0, "total_available_stock": total},
		"seller_stock": seller, "shopee_stock": []any{},
	}
}

func (f *Server) serveBaseInfo(w http.ResponseWriter, q url.Values) {
	list := []map[string]any{}
	var missing []string
	for _, p := range strings.Split(q.Get("item_id_list"), ",") {
		id, _ := strconv.ParseInt(p, 10, 64)
		it, ok := f.items[id]
		if !ok {
			missing = append(missing, p)
			continue
		}
		e := map[string]any{
			"item_id": it.id, "category_id": 100001, "item_name": it.name, "item_status": it.status,
			"has_model": it.models, "create_time": 1700000000, "update_time": 1700000000, "condition": "NEW",
		}
		if !it.models {
			u := it.units[0]
			e["item_sku"] = u.sku
			if u.gtin != "" {
				e["gtin_code"] = u.gtin
			}
			e["price_info"] = f.priceInfo(u)
			e["stock_info_v2"] = stockInfo(u)
			e["promotion_id"] = u.promoID
			e["is_fulfillment_by_shopee"] = u.fbs
		} else {
			e["item_sku"] = ""
			e["promotion_id"] = 0
		}
		list = append(list, e)
	}
	resp := map[string]any{"item_list": list}
	if len(missing) > 0 {
		w0 := f.warning
		f.warning = "item_id " + strings.Join(missing, ",") + " not found"
		defer func() { f.warning = w0 }()
	}
	f.answer(w, http.StatusOK, "", "", resp)
}

func (f *Server) serveModelList(w http.ResponseWriter, q url.Values) {
	id, _ := strconv.ParseInt(q.Get("item_id"), 10, 64)
	it, ok := f.items[id]
	if !ok {
		f.answer(w, http.StatusOK, "error_item_not_found", "Item_id is not found.", nil)
		return
	}
	models := []map[string]any{}
	options := []map[string]any{}
	if it.models {
		for i, u := range it.units {
			options = append(options, map[string]any{"option": u.sku})
			models = append(models, map[string]any{
				"model_id": u.id, "model_sku": u.sku, "model_status": u.status, "tier_index": []int{i},
				"promotion_id": u.promoID, "has_promotion": u.promoID != 0, "gtin_code": u.gtin,
				"price_info": f.priceInfo(u), "stock_info_v2": stockInfo(u), "is_fulfillment_by_shopee": u.fbs,
			})
		}
	}
	f.answer(w, http.StatusOK, "", "", map[string]any{
		"tier_variation": []map[string]any{{"name": "Variant", "option_list": options}},
		"model":          models,
	})
}

// unitFor finds the unit of a model_id in an item (absent or 0 for an
// item without models).
func unitFor(it *item, model *int64) (*unit, string) {
	m := int64(0)
	if model != nil {
		m = *model
	}
	if !it.models {
		if m != 0 {
			return nil, "Wrong model_id."
		}
		return it.units[0], ""
	}
	if m == 0 {
		return nil, "Can't edit item price directly while item has models."
	}
	for _, u := range it.units {
		if u.id == m {
			return u, ""
		}
	}
	return nil, "Wrong model_id."
}

func (f *Server) serveUpdate(w http.ResponseWriter, api string, body []byte) {
	var req struct {
		ItemID    int64 `json:"item_id"`
		PriceList []struct {
			ModelID       *int64      `json:"model_id"`
			OriginalPrice json.Number `json:"original_price"`
		} `json:"price_list"`
		StockList []struct {
			ModelID     *int64 `json:"model_id"`
			SellerStock []struct {
				LocationID *string `json:"location_id"`
				Stock      int64   `json:"stock"`
			} `json:"seller_stock"`
		} `json:"stock_list"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.answer(w, http.StatusBadRequest, "error_param", err.Error(), nil)
		return
	}
	it, ok := f.items[req.ItemID]
	if !ok {
		f.answer(w, http.StatusOK, "error_item_not_found", "Item_id is not found.", nil)
		return
	}
	success, failure := []map[string]any{}, []map[string]any{}
	fail := func(model *int64, reason string) {
		m := int64(0)
		if model != nil {
			m = *model
		}
		failure = append(failure, map[string]any{"model_id": m, "failed_reason": reason})
	}
	if api == "update_price" {
		for _, e := range req.PriceList {
			u, why := unitFor(it, e.ModelID)
			if u == nil {
				fail(e.ModelID, why)
				continue
			}
			d, err := decimal.NewFromString(string(e.OriginalPrice))
			switch {
			case f.rejectModel[api+" "+u.sku] != "":
				fail(e.ModelID, f.rejectModel[api+" "+u.sku])
			case err != nil || !d.IsPositive() || !d.Equal(d.Round(f.decimals)):
				fail(e.ModelID, "Invalid price, please use the correct format")
			case u.promoID != 0:
				fail(e.ModelID, "Original_price cannot be edited when item is under promotion.")
			default:
				u.original = d
				success = append(success, map[string]any{"model_id": u.id, "original_price": num(d)})
			}
		}
	} else {
		for _, e := range req.StockList {
			u, why := unitFor(it, e.ModelID)
			if u == nil {
				fail(e.ModelID, strings.Replace(why, "price", "stock", 1))
				continue
			}
			located := len(u.locations) > 0 && u.locations[0].id != ""
			switch {
			case f.rejectModel[api+" "+u.sku] != "":
				fail(e.ModelID, f.rejectModel[api+" "+u.sku])
			case u.fbs:
				fail(e.ModelID, "The current item belong to the full FBS or B2C shop, so normal stock must be equal to 0")
			case len(e.SellerStock) != 1 || len(u.locations) > 1 || (e.SellerStock[0].LocationID != nil) != located:
				fail(e.ModelID, "Can not update item with different stock structure.")
			case e.SellerStock[0].Stock < 0:
				fail(e.ModelID, "Normal_stock/ seller_stock is less than min limit.")
			default:
				u.locations[0].stock = e.SellerStock[0].Stock
				s := map[string]any{"model_id": u.id, "stock": e.SellerStock[0].Stock}
				if located {
					s["location_id"] = u.locations[0].id
				}
				success = append(success, s)
			}
		}
	}
	f.answer(w, http.StatusOK, "", "", map[string]any{"success_list": success, "failure_list": failure})
}

func (f *Server) serveUpdateItem(w http.ResponseWriter, body []byte) {
	var req struct {
		ItemID   int64   `json:"item_id"`
		ItemName *string `json:"item_name"`
		GTIN     *string `json:"gtin_code"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.answer(w, http.StatusBadRequest, "error_param", err.Error(), nil)
		return
	}
	it, ok := f.items[req.ItemID]
	if !ok {
		f.answer(w, http.StatusOK, "error_item_not_found", "Item_id is not found.", nil)
		return
	}
	if req.ItemName != nil {
		if n := len([]rune(*req.ItemName)); n < 1 || n > 120 {
			f.answer(w, http.StatusOK, "error_param", "Item name length should be between 1 and 120.", nil)
			return
		}
		it.name = *req.ItemName
	}
	if req.GTIN != nil {
		if it.models {
			f.answer(w, http.StatusOK, "error_param", "gtin_code of an item with models is set per model.", nil)
			return
		}
		it.units[0].gtin = *req.GTIN
	}
	f.answer(w, http.StatusOK, "", "", map[string]any{"item_id": it.id, "item_name": it.name})
}

func (f *Server) serveDiscount(w http.ResponseWriter, api string, body []byte) {
	var req struct {
		DiscountID int64 `json:"discount_id"`
		ItemList   []struct {
			ItemID             int64        `json:"item_id"`
			ItemPromotionPrice *json.Number `json:"item_promotion_price"`
			ModelList          []struct {
				ModelID             int64       `json:"model_id"`
				ModelPromotionPrice json.Number `json:"model_promotion_price"`
			} `json:"model_list"`
		} `json:"item_list"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.answer(w, http.StatusBadRequest, "error_param", err.Error(), nil)
		return
	}
	if req.DiscountID != DiscountID {
		f.answer(w, http.StatusOK, "common.error_not_found", "The information you queried is not found.", map[string]any{})
		return
	}
	errs := []map[string]any{}
	count := 0
	fail := func(item, model int64, code, msg string) {
		errs = append(errs, map[string]any{"item_id": item, "model_id": model, "fail_error": code, "fail_message": msg})
	}
	for _, e := range req.ItemList {
		it, ok := f.items[e.ItemID]
		if !ok {
			fail(e.ItemID, 0, "discount.error_item_not_found", "The Item id you provided is not found.")
			continue
		}
		type pick struct {
			model int64
			price json.Number
		}
		var picks []pick
		switch {
		case it.models:
			for _, m := range e.ModelList {
				picks = append(picks, pick{m.ModelID, m.ModelPromotionPrice})
			}
		case e.ItemPromotionPrice != nil:
			picks = append(picks, pick{0, *e.ItemPromotionPrice})
		default:
			fail(e.ItemID, 0, "discount.error_param", "item_promotion_price is necessary for an item without variation")
		}
		for _, p := range picks {
			m := p.model
			u, why := unitFor(it, &m)
			if u == nil {
				fail(e.ItemID, p.model, "discount.error_model_not_found", why)
				continue
			}
			d, err := decimal.NewFromString(string(p.price))
			switch {
			case err != nil || !d.IsPositive() || !d.LessThan(u.original):
				fail(e.ItemID, p.model, "discount.error_price", "The promotion price must be above 0 and below the original price.")
			case api == "add_discount_item" && u.promoID == DiscountID:
				fail(e.ItemID, p.model, "discount.error_item_exist", "The item is already in this discount.")
			case api == "add_discount_item" && u.promoID != 0:
				fail(e.ItemID, p.model, "discount.error_item_in_other_promotion", "The item is in another promotion.")
			case api == "update_discount_item" && u.promoID != DiscountID:
				fail(e.ItemID, p.model, "discount.discount_item_not_exist", "The item is not in this discount, please check it again.")
			default:
				u.promoID, u.promo = DiscountID, d
				count++
			}
		}
	}
	f.answer(w, http.StatusOK, "", "", map[string]any{"discount_id": DiscountID, "count": count, "error_list": errs})
}

func (f *Server) serveDeleteDiscount(w http.ResponseWriter, body []byte) {
	var req struct {
		DiscountID int64  `json:"discount_id"`
		ItemID     int64  `json:"item_id"`
		ModelID    *int64 `json:"model_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.answer(w, http.StatusBadRequest, "error_param", err.Error(), nil)
		return
	}
	it, ok := f.items[req.ItemID]
	var u *unit
	if ok {
		u, _ = unitFor(it, req.ModelID)
	}
	if req.DiscountID != DiscountID || u == nil || u.promoID != DiscountID {
		f.answer(w, http.StatusOK, "discount.discount_item_not_exist", "The item is not in this discount, please check it again.", map[string]any{})
		return
	}
	u.promoID, u.promo = 0, decimal.Decimal{}
	f.answer(w, http.StatusOK, "", "", map[string]any{"discount_id": DiscountID, "error_list": []any{}})
}

func (f *Server) serveRefresh(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
		PartnerID    int64  `json:"partner_id"`
		ShopID       int64  `json:"shop_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.PartnerID != PartnerID || req.ShopID != ShopID {
		f.refuse(w, http.StatusBadRequest, "error_param", "Wrong parameters, detail: partner_id and shop_id must be the app's and the shop's.", r)
		return
	}
	valid, known := f.refresh[req.RefreshToken]
	if !valid {
		if known && !f.revoked {
			// A refresh token used twice: the adapter lost the new one.
			f.api.Reject("refresh_access_token: a refresh token used again")
		}
		f.writeJSON(w, http.StatusForbidden, map[string]any{"request_id": f.requestID(), "error": "error_auth", "message": "Invalid refresh_token."})
		return
	}
	f.refresh[req.RefreshToken] = false
	f.tokenSeq++
	access, refresh := token("access", f.tokenSeq), token("refresh", f.tokenSeq)
	f.access[access] = f.now().Add(tokenLife)
	f.refresh[refresh] = true
	f.writeJSON(w, http.StatusOK, map[string]any{
		"partner_id": PartnerID, "shop_id": ShopID, "access_token": access, "refresh_token": refresh,
		"expire_in": int(tokenLife / time.Second), "request_id": f.requestID(), "error": "", "message": "",
	})
}
