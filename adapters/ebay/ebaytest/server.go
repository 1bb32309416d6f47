package ebaytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // G505: eBay signs notifications with ECDSA over SHA-1; the fake does as eBay does
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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

// The credentials and names the fake accepts. Made up.
const (
	ClientID          = "accord-test-PRD-0a1b2c3d4"
	ClientSecret      = "PRD-s3cr3t-client-9f8e7d"           //nolint:gosec // G101: made up for the fake
	RefreshToken      = "v^1.1#i^1#r^1#refresh-secret-token" //nolint:gosec // G101: made up for the fake
	VerificationToken = "verification-token-secret-0123456789abcdef"
	MarketplaceID     = "EBAY_US"
	Currency          = "USD"
	// WebhookEndpoint is the public URL the fake's notifications are for.
	WebhookEndpoint = "https://accord.example/api/hooks/channel/ebay_us"
	// KeyID is the ID of the fake's notification key.
	KeyID = "a1b2c3d4-e5f6-4a5b-9c8d-7e6f5a4b3c2d"
)

// The scopes a refresh token of the fake was granted, and the application
// scope.
var (
	userScopes = []string{"https://api.ebay.com/oauth/api_scope/sell.inventory", "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly"}
	appScope   = "https://api.ebay.com/oauth/api_scope"
)

// Listing is what the fake holds for one SKU: its inventory item and its
// offer, whole, and the values accord manages read from them.
type Listing struct {
	SKU, OfferID string
	// ShipTo is the item's shipToLocationAvailability quantity, Available
	// the offer's availableQuantity (nil when not set).
	ShipTo, Available *int64
	// Price, CompareAt (originalRetailPrice) and MAP
	// (minimumAdvertisedPrice) are the offer's.
	Price, CompareAt, MAP     decimal.NullDecimal
	Title, Description, Brand string
	// Item and Offer are copies of the documents as last written.
	Item, Offer map[string]any
}

// offerRec is one offer.
type offerRec struct {
	id, sku   string
	listingID string
	doc       map[string]any // EbayOfferDetailsWithId
}

type token struct {
	expires time.Time
	app     bool
	scopes  []string
}

// scopeOf is the seller scope an operation needs: the Fulfillment API's
// for reading an order, the Inventory API's for the rest.
func scopeOf(op string) string {
	if op == "getOrder" {
		return userScopes[1]
	}
	return userScopes[0]
}

type orderRec struct {
	id, lineItemID, sku string
	units               int64
	created             time.Time
}

// Server is a fake eBay: the Sell Inventory API's calls the adapter makes,
// the OAuth token endpoint, the Fulfillment API's getOrder and the
// Notification API's getPublicKey, on one httptest server. It checks every
// request (method, path, query, headers, the bearer token and its kind,
// the body against the schemas) and answers one outside the document with
// eBay's error shape and a test failure. It keeps the listings in memory,
// counts the revisions of each listing per eBay day (US Pacific time) and
// refuses the 251st, and signs the notifications it sends with its own
// ECDSA key. Its methods are safe to call while a client runs.
type Server struct {
	t   testing.TB
	srv *httptest.Server
	key *ecdsa.PrivateKey
	day *time.Location

	mu         sync.Mutex
	items      map[string]map[string]any // SKU -> InventoryItem
	offers     map[string]*offerRec      // offer ID -> offer
	orders     map[string]*orderRec
	tokens     map[string]token
	nextID     int
	tokenCalls int
	strict     bool
	refused    bool
	// granted are the scopes of the refresh token (nil: userScopes).
	granted   []string
	now       func() time.Time
	revisions map[string]map[string]int // SKU -> day -> count
	// api keeps the failures, limits, counts and request log; a request
	// outside the document is a recorded refusal rather than a test
	// failure after AllowInvalid (the fake's own tests).
	api apitest.Ledger
}

// New starts a fake eBay, closed when the test ends.
func New(t testing.TB) *Server {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	day, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	f := &Server{
		t: t, key: key, day: day, now: time.Now,
		items: map[string]map[string]any{}, offers: map[string]*offerRec{}, orders: map[string]*orderRec{},
		tokens: map[string]token{}, revisions: map[string]map[string]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL: a channel's endpoint and
// notification_endpoint.
func (f *Server) URL() string { return f.srv.URL }

// TokenURL is the OAuth token URL: a channel's token_endpoint.
func (f *Server) TokenURL() string { return f.srv.URL + "/identity/v1/oauth2/token" }

// Client is an HTTP client for the fake.
func (f *Server) Client() *http.Client { return f.srv.Client() }

// Config is a channel config block pointing every endpoint at the fake,
// with the secrets through env("EBAY_CLIENT_ID"), env("EBAY_CLIENT_SECRET"),
// env("EBAY_REFRESH_TOKEN") and env("EBAY_VERIFICATION_TOKEN"), and extra
// lines appended.
func (f *Server) Config(extra string) string {
	return fmt.Sprintf(`
client_id             = env("EBAY_CLIENT_ID")
client_secret         = env("EBAY_CLIENT_SECRET")
refresh_token         = env("EBAY_REFRESH_TOKEN")
marketplace_id        = %q
endpoint              = %q
token_endpoint        = %q
notification_endpoint = %q
verification_token    = env("EBAY_VERIFICATION_TOKEN")
webhook_endpoint      = %q
%s`, MarketplaceID, f.srv.URL, f.TokenURL(), f.srv.URL, WebhookEndpoint, extra)
}

// Env is the environment the secrets of Config read.
func Env() map[string]string {
	return map[string]string{
		"EBAY_CLIENT_ID": ClientID, "EBAY_CLIENT_SECRET": ClientSecret,
		"EBAY_REFRESH_TOKEN": RefreshToken, "EBAY_VERIFICATION_TOKEN": VerificationToken,
	}
}

// Env is the environment the secrets of Config read.
func (f *Server) Env() map[string]string { return Env() }

// Seed puts listings on the fake: an inventory item (title, description,
// brand, gtin as ean, the quantity as shipToLocationAvailability, and a
// condition, package and aspects accord does not manage) and a published
// fixed-price offer (price, compare_at as originalRetailPrice,
// minimum_advertised_price, the quantity as availableQuantity, and
// policies, category and location accord does not manage).
func (f *Server) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		prod := map[string]any{
			"aspects":   map[string]any{"Color": []any{"Black"}},
			"imageUrls": []any{"https://i.ebayimg.com/images/g/" + url.PathEscape(l.SKU) + "/s-l1600.jpg"},
		}
		offer := map[string]any{
			"categoryId": "9355", "listingDuration": "GTC", "merchantLocationKey": "warehouse-1",
			"listingDescription": "Listed by the fake for " + l.SKU, "includeCatalogProductDetails": true,
			"listingPolicies": map[string]any{"fulfillmentPolicyId": "6196932000", "paymentPolicyId": "6196940000", "returnPolicyId": "6196944000"},
			"pricingSummary":  map[string]any{},
		}
		ps := offer["pricingSummary"].(map[string]any)
		for _, fl := range l.Fields {
			switch fl.Name {
			case "title", "description", "brand":
				prod[fl.Name] = fl.Value
			case "gtin":
				prod["ean"] = []any{fl.Value}
			case "minimum_advertised_price":
				ps["minimumAdvertisedPrice"] = amount(fl.Value)
			}
		}
		item := map[string]any{"condition": "NEW", "product": prod,
			"packageWeightAndSize": map[string]any{"weight": map[string]any{"unit": "POUND", "value": json.Number("1.5")}}}
		if l.Quantity.Valid {
			item["availability"] = map[string]any{"shipToLocationAvailability": map[string]any{"quantity": json.Number(strconv.FormatInt(l.Quantity.Units, 10))}}
			offer["availableQuantity"] = json.Number(strconv.FormatInt(l.Quantity.Units, 10))
		}
		if l.Price.Valid {
			ps["price"] = amount(l.Price.Decimal.StringFixed(2))
		}
		if l.CompareAt.Valid {
			ps["originalRetailPrice"] = amount(l.CompareAt.Decimal.StringFixed(2))
		}
		f.items[l.SKU] = item
		f.nextID++
		id := strconv.Itoa(5000000000 + f.nextID)
		f.offers[id] = &offerRec{id: id, sku: l.SKU, listingID: strconv.Itoa(110000000000 + f.nextID), doc: offer}
	}
}

func amount(v string) map[string]any { return map[string]any{"currency": Currency, "value": v} }

// PutItem puts an inventory item without an offer on the fake: not a
// listing.
func (f *Server) PutItem(sku, title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[sku] = map[string]any{"product": map[string]any{"title": title}}
}

// Listing reads back the listing of sku.
func (f *Server) Listing(sku string) (Listing, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	item, ok := f.items[sku]
	if !ok {
		return Listing{}, false
	}
	l := Listing{SKU: sku, Item: clone(item)}
	if o := f.offerOf(sku); o != nil {
		l.OfferID = o.id
		l.Offer = clone(o.doc)
		l.Available = intAt(o.doc, "availableQuantity")
		ps, _ := o.doc["pricingSummary"].(map[string]any)
		l.Price = moneyAt(ps, "price")
		l.CompareAt = moneyAt(ps, "originalRetailPrice")
		l.MAP = moneyAt(ps, "minimumAdvertisedPrice")
	}
	if av, ok := item["availability"].(map[string]any); ok {
		if ship, ok := av["shipToLocationAvailability"].(map[string]any); ok {
			l.ShipTo = intAt(ship, "quantity")
		}
	}
	if p, ok := item["product"].(map[string]any); ok {
		l.Title, _ = p["title"].(string)
		l.Description, _ = p["description"].(string)
		l.Brand, _ = p["brand"].(string)
	}
	return l, true
}

func intAt(m map[string]any, key string) *int64 {
	n, ok := m[key].(json.Number)
	if !ok {
		return nil
	}
	i, err := n.Int64()
	if err != nil {
		return nil
	}
	return &i
}

func moneyAt(m map[string]any, key string) decimal.NullDecimal {
	a, ok := m[key].(map[string]any)
	if !ok {
		return decimal.NullDecimal{}
	}
	s, _ := a["value"].(string)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: d, Valid: true}
}

func clone(m map[string]any) map[string]any {
	var out map[string]any
	raw, _ := json.Marshal(m) //nolint:errchkjson // the fake's own documents
	_ = decode(raw, &out)
	return out
}

func decode(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(into)
}

// offerOf is the offer of sku. f.mu is held.
func (f *Server) offerOf(sku string) *offerRec {
	ids := slices.Sorted(maps.Keys(f.offers))
	for _, id := range ids {
		if f.offers[id].sku == sku {
			return f.offers[id]
		}
	}
	return nil
}

// Fail answers the next request of operation op (its operationId, any
// when "") with status, content type and body, before anything else.
func (f *Server) Fail(status int, op, contentType, body string) {
	f.api.Fail(status, op, contentType, body)
}

// ExpireTokens makes every access token handed out so far expired.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, tk := range f.tokens {
		tk.expires = time.Time{}
		f.tokens[k] = tk
	}
}

// RefuseTokens makes the token endpoint answer invalid_grant.
func (f *Server) RefuseTokens(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = refuse
}

// WithoutOrderScope makes the seller's refresh token one granted without
// the Fulfillment API's scope: asking for it is invalid_scope, as eBay
// answers a scope beyond the grant.
func (f *Server) WithoutOrderScope() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.granted = []string{userScopes[0]}
}

// SetStrict makes bulkUpdatePriceQuantity take one SKU a call, as its
// description says, refusing a call of several with a 400; off, it takes up
// to 25, as its request schema says.
func (f *Server) SetStrict(strict bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.strict = strict
}

// SetLimit enforces a rate on operation op: a request the limiter has no
// token for is answered 429. A nil limiter lifts it.
func (f *Server) SetLimit(op string, l *rate.Limiter) { f.api.SetLimit(op, l) }

// SetNow sets the clock the revisions are counted by (time.Now at first).
func (f *Server) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Revisions is how many revisions the listing of sku had today, eBay's
// day (US Pacific time) by the fake's clock.
func (f *Server) Revisions(sku string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revisions[sku][f.today()]
}

// today is the fake's eBay day. f.mu is held.
func (f *Server) today() string { return f.now().In(f.day).Format(time.DateOnly) }

// AllowInvalid makes requests outside the document refusals the fake
// records (see Invalid) instead of test failures.
func (f *Server) AllowInvalid() { f.api.AllowInvalid() }

// Invalid is what the fake found wrong in each request outside the
// document, in order.
func (f *Server) Invalid() []string { return f.api.Invalid() }

// Calls is how many requests of operation op (its operationId) the fake
// served, refused ones included.
func (f *Server) Calls(op string) int { return f.api.Calls(op) }

// TokenCalls is how many token exchanges the fake served.
func (f *Server) TokenCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

// Throttled is how many requests a limit of SetLimit answered 429.
func (f *Server) Throttled() int { return f.api.Throttled() }

// Requests are the API requests served (token exchanges aside), in order,
// each as "METHOD path?query body": the text of a golden file.
func (f *Server) Requests() []string { return f.api.Requests() }

// apiErr is one of eBay's Error objects.
func apiErr(id int, domain, msg string) map[string]any {
	return map[string]any{"errorId": id, "domain": domain, "category": "REQUEST", "message": msg}
}

func errs(es ...map[string]any) map[string]any {
	list := make([]any, len(es))
	for i, e := range es {
		list[i] = e
	}
	return map[string]any{"errors": list}
}

func inventoryErr(id int, msg string) map[string]any { return apiErr(id, "API_INVENTORY", msg) }

func (f *Server) answer(w http.ResponseWriter, code int, v any) {
	apitest.WriteJSON(f.t, w, code, "application/json", v)
}

// route is one operation the fake serves.
type route struct {
	op, method string
	path       *regexp.Regexp
	// query are the parameters the operation takes; required those it
	// must have.
	query, required []string
	// schema is the body's schema ("" for none); language says the
	// operation requires Content-Language; app says it takes an
	// application token, not the seller's.
	schema   string
	language bool
	app      bool
}

var routes = []route{
	{op: "getInventoryItems", method: http.MethodGet, path: regexp.MustCompile(`^/sell/inventory/v1/inventory_item$`), query: []string{"limit", "offset"}},
	{op: "getInventoryItem", method: http.MethodGet, path: regexp.MustCompile(`^/sell/inventory/v1/inventory_item/([^/]+)$`)},
	{op: "createOrReplaceInventoryItem", method: http.MethodPut, path: regexp.MustCompile(`^/sell/inventory/v1/inventory_item/([^/]+)$`), schema: SchemaInventoryItem, language: true},
	{op: "bulkGetInventoryItem", method: http.MethodPost, path: regexp.MustCompile(`^/sell/inventory/v1/bulk_get_inventory_item$`), schema: SchemaBulkGetInventoryItem},
	{op: "getOffers", method: http.MethodGet, path: regexp.MustCompile(`^/sell/inventory/v1/offer$`), query: []string{"format", "limit", "marketplace_id", "offset", "sku"}, required: []string{"sku"}},
	{op: "getOffer", method: http.MethodGet, path: regexp.MustCompile(`^/sell/inventory/v1/offer/([^/]+)$`)},
	{op: "updateOffer", method: http.MethodPut, path: regexp.MustCompile(`^/sell/inventory/v1/offer/([^/]+)$`), schema: SchemaOffer, language: true},
	{op: "bulkUpdatePriceQuantity", method: http.MethodPost, path: regexp.MustCompile(`^/sell/inventory/v1/bulk_update_price_quantity$`), schema: SchemaBulkPriceQuantity},
	{op: "getOrder", method: http.MethodGet, path: regexp.MustCompile(`^/sell/fulfillment/v1/order/([^/]+)$`), query: []string{"fieldGroups"}},
	{op: "getPublicKey", method: http.MethodGet, path: regexp.MustCompile(`^/commerce/notification/v1/public_key/([^/]+)$`), app: true},
}

// check holds a request to its route: the method, the query, the headers
// and the body. It returns the route, the path's parameter and what is
// wrong.
func check(r *http.Request, body []byte) (*route, string, []string) {
	var found *route
	var param string
	pathOK := false
	for i := range routes {
		rt := &routes[i]
		m := rt.path.FindStringSubmatch(r.URL.EscapedPath())
		if m == nil {
			continue
		}
		pathOK = true
		if rt.method != r.Method {
			continue
		}
		found = rt
		if len(m) > 1 {
			param, _ = url.PathUnescape(m[1])
		}
		break
	}
	if found == nil {
		if pathOK {
			return nil, "", []string{r.Method + " is not a method of " + r.URL.Path}
		}
		return nil, "", []string{r.URL.Path + " is no path of the document"}
	}
	var bad []string
	q := r.URL.Query()
	for name, vals := range q {
		if !slices.Contains(found.query, name) {
			bad = append(bad, "query parameter "+name+" is not one of "+found.op+"'s")
		} else if len(vals) != 1 {
			bad = append(bad, "query parameter "+name+" sent more than once")
		}
	}
	for _, name := range found.required {
		if q.Get(name) == "" {
			bad = append(bad, "missing the query parameter "+name)
		}
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		bad = append(bad, "no Authorization: Bearer header")
	}
	if found.schema != "" {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			bad = append(bad, fmt.Sprintf("Content-Type %q, want application/json", ct))
		}
		if err := Validate(found.schema, body); err != nil {
			bad = append(bad, fmt.Sprintf("the body does not validate against %s: %v", found.schema, err))
		}
	} else if len(body) > 0 {
		bad = append(bad, found.op+" takes no body")
	}
	if found.language {
		if cl := r.Header.Get("Content-Language"); !regexp.MustCompile(`^[a-z]{2}-[A-Z]{2}$`).MatchString(cl) {
			bad = append(bad, fmt.Sprintf("Content-Language %q, want a language like en-US", cl))
		}
	} else if r.Header.Get("Content-Language") != "" {
		bad = append(bad, found.op+" takes no Content-Language")
	}
	if r.Method == http.MethodGet && r.Header.Get("Content-Type") != "" {
		bad = append(bad, "a GET with a Content-Type")
	}
	return found, param, bad
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading the request: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/identity/v1/oauth2/token" {
		f.serveToken(w, r, body)
		return
	}
	line := apitest.Line(r, body)
	f.api.Record(line)
	rt, param, bad := check(r, body)
	if rt != nil {
		f.api.Call(rt.op)
	}
	if len(bad) > 0 {
		msg := strings.Join(bad, "; ")
		if f.api.Reject(line + ": " + msg) {
			f.t.Errorf("fake: a request outside the document: %s: %s", line, msg)
		}
		f.answer(w, http.StatusBadRequest, errs(inventoryErr(25002, "A user error has occurred. "+msg)))
		return
	}
	tk, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	switch {
	case !ok || !time.Now().Before(tk.expires):
		f.answer(w, http.StatusUnauthorized, errs(map[string]any{"errorId": 1001, "domain": "OAuth", "category": "REQUEST",
			"message": "Invalid access token", "longMessage": "Invalid access token. Check the value of the Authorization HTTP request header."}))
		return
	case tk.app != rt.app, !tk.app && !slices.Contains(tk.scopes, scopeOf(rt.op)):
		f.answer(w, http.StatusForbidden, errs(apiErr(1100, "ACCESS", "Access denied: insufficient permissions to fulfill the request.")))
		return
	}
	if f.api.Failure(w, rt.op) {
		return
	}
	if f.api.Limited(rt.op, 10*time.Millisecond) {
		f.answer(w, http.StatusTooManyRequests, errs(apiErr(2001, "ACCESS", "Too many requests. The request limit has been reached for the resource.")))
		return
	}
	switch rt.op {
	case "getInventoryItems":
		f.serveItems(w, r)
	case "getInventoryItem":
		item, ok := f.items[param]
		if !ok {
			f.answer(w, http.StatusNotFound, errs(inventoryErr(25710, "We didn't find the resource/entity you are requesting. Please verify the request")))
			return
		}
		f.answer(w, http.StatusOK, f.renderItem(param, item))
	case "createOrReplaceInventoryItem":
		f.servePutItem(w, param, body)
	case "bulkGetInventoryItem":
		f.serveBulkGet(w, body)
	case "getOffers":
		f.serveOffers(w, r)
	case "getOffer":
		o, ok := f.offers[param]
		if !ok {
			f.answer(w, http.StatusNotFound, errs(inventoryErr(25713, "This Offer is not available : "+param+".")))
			return
		}
		f.answer(w, http.StatusOK, f.renderOffer(o))
	case "updateOffer":
		f.servePutOffer(w, param, body)
	case "bulkUpdatePriceQuantity":
		f.serveBulkUpdate(w, body)
	case "getOrder":
		f.serveOrder(w, param)
	case "getPublicKey":
		if param != KeyID {
			f.answer(w, http.StatusNotFound, errs(apiErr(195001, "API_NOTIFICATION", "The specified key id is invalid.")))
			return
		}
		der, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
		if err != nil {
			f.t.Errorf("fake: %v", err)
		}
		f.answer(w, http.StatusOK, map[string]any{"algorithm": "ECDSA", "digest": "SHA1",
			"key": "-----BEGIN PUBLIC KEY-----" + base64.StdEncoding.EncodeToString(der) + "-----END PUBLIC KEY-----"})
	}
}

func (f *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	f.tokenCalls++
	fail := func(code int, e, desc string) {
		f.answer(w, code, map[string]any{"error": e, "error_description": desc})
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("fake: the token request is not a form POST: %v", err)
		fail(http.StatusBadRequest, "invalid_request", "request is missing a required parameter or malformed.")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != ClientID || secret != ClientSecret {
		fail(http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	scopes := strings.Fields(form.Get("scope"))
	app := false
	switch form.Get("grant_type") {
	case "refresh_token":
		if f.refused || form.Get("refresh_token") != RefreshToken {
			fail(http.StatusBadRequest, "invalid_grant", "the provided authorization refresh token is invalid or was issued to another client")
			return
		}
		granted := userScopes
		if f.granted != nil {
			granted = f.granted
		}
		for _, s := range scopes {
			if !slices.Contains(granted, s) {
				fail(http.StatusBadRequest, "invalid_scope", "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client")
				return
			}
		}
	case "client_credentials":
		if len(scopes) != 1 || scopes[0] != appScope {
			fail(http.StatusBadRequest, "invalid_scope", "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client")
			return
		}
		app = true
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "grant type in request is not supported by the authorization server")
		return
	}
	if len(scopes) == 0 {
		fail(http.StatusBadRequest, "invalid_scope", "no scope")
		return
	}
	f.nextID++
	tok := fmt.Sprintf("v^1.1#i^1#f^0#p^3#I^3#t^access-%d", f.nextID)
	f.tokens[tok] = token{expires: time.Now().Add(2 * time.Hour), app: app, scopes: scopes}
	kind := "User Access Token"
	if app {
		kind = "Application Access Token"
	}
	f.answer(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 7200, "token_type": kind})
}

// renderItem is InventoryItemWithSkuLocaleGroupid. f.mu is held.
func (f *Server) renderItem(sku string, item map[string]any) map[string]any {
	out := clone(item)
	out["sku"] = sku
	out["locale"] = "en_US"
	if av, ok := out["availability"].(map[string]any); ok {
		if ship, ok := av["shipToLocationAvailability"].(map[string]any); ok {
			// eBay adds how the quantity is allocated by format: read only.
			ship["allocationByFormat"] = map[string]any{"fixedPrice": ship["quantity"], "auction": 0}
		}
	}
	return out
}

// renderOffer is EbayOfferDetailsWithAll. f.mu is held.
func (f *Server) renderOffer(o *offerRec) map[string]any {
	out := clone(o.doc)
	out["offerId"] = o.id
	out["sku"] = o.sku
	out["marketplaceId"] = MarketplaceID
	out["format"] = "FIXED_PRICE"
	out["status"] = "PUBLISHED"
	out["listing"] = map[string]any{"listingId": o.listingID, "listingStatus": "ACTIVE", "soldQuantity": 0}
	return out
}

func (f *Server) serveItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 25, 0
	var err error
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 200 {
			f.invalidValue(w, "limit "+s+" is not from 1 to 200")
			return
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			f.invalidValue(w, "offset "+s+" is not a whole number")
			return
		}
	}
	skus := slices.Sorted(maps.Keys(f.items))
	end := min(offset+limit, len(skus))
	page := []any{}
	for _, sku := range skus[min(offset, len(skus)):end] {
		page = append(page, f.renderItem(sku, f.items[sku]))
	}
	// eBay answers its own host in href and next, whatever host was
	// called.
	href := func(off int) string {
		return fmt.Sprintf("https://api.ebay.com/sell/inventory/v1/inventory_item?offset=%d&limit=%d", off, limit)
	}
	ans := map[string]any{"href": href(offset), "limit": limit, "total": len(skus), "size": (len(skus) + limit - 1) / limit, "inventoryItems": page}
	if end < len(skus) {
		ans["next"] = href(end)
	}
	if offset > 0 {
		ans["prev"] = href(max(offset-limit, 0))
	}
	f.answer(w, http.StatusOK, ans)
}

// invalidValue is a well-formed request with a value eBay refuses: a
// failure of the adapter's, so a test failure too.
func (f *Server) invalidValue(w http.ResponseWriter, msg string) {
	if f.api.Reject(msg) {
		f.t.Errorf("fake: %s", msg)
	}
	f.answer(w, http.StatusBadRequest, errs(inventoryErr(25709, "Invalid value for "+msg)))
}

func (f *Server) serveBulkGet(w http.ResponseWriter, body []byte) {
	var req struct {
		Requests []struct {
			SKU string `json:"sku"`
		} `json:"requests"`
	}
	_ = json.Unmarshal(body, &req)
	seen := map[string]bool{}
	var responses []any
	all := true
	for _, rq := range req.Requests {
		if seen[rq.SKU] {
			f.invalidValue(w, "SKU should be unique in the request")
			return
		}
		seen[rq.SKU] = true
		item, ok := f.items[rq.SKU]
		if !ok {
			all = false
			responses = append(responses, map[string]any{"statusCode": 404, "sku": rq.SKU,
				"errors": []any{inventoryErr(25702, "SKU "+rq.SKU+" is not available in the system")}})
			continue
		}
		responses = append(responses, map[string]any{"statusCode": 200, "sku": rq.SKU, "inventoryItem": f.renderItem(rq.SKU, item)})
	}
	code := http.StatusOK
	if !all {
		code = http.StatusMultiStatus
	}
	f.answer(w, code, map[string]any{"responses": responses})
}

func (f *Server) serveOffers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if m := q.Get("marketplace_id"); m != "" && m != MarketplaceID {
		f.invalidValue(w, "marketplace_id "+m)
		return
	}
	o := f.offerOf(q.Get("sku"))
	if o == nil {
		f.answer(w, http.StatusNotFound, errs(inventoryErr(25713, "This Offer is not available : "+q.Get("sku")+".")))
		return
	}
	f.answer(w, http.StatusOK, map[string]any{"href": "https://api.ebay.com/sell/inventory/v1/offer?sku=" + url.QueryEscape(o.sku),
		"limit": 100, "size": 1, "total": 1, "offers": []any{f.renderOffer(o)}})
}

// revise counts one revision of the listing of sku, or refuses it when it
// had 250 today. f.mu is held.
func (f *Server) revise(sku string) map[string]any {
	day := f.today()
	if f.revisions[sku] == nil {
		f.revisions[sku] = map[string]int{}
	}
	if f.revisions[sku][day] >= 250 {
		// The error of the revision limit is not in the document: 25019
		// ("Cannot revise the listing") is its nearest; unconfirmed.
		return inventoryErr(25019, "Cannot revise the listing. This listing has been revised 250 times today, the most a listing may be revised in one calendar day.")
	}
	f.revisions[sku][day]++
	return nil
}

func (f *Server) servePutItem(w http.ResponseWriter, sku string, body []byte) {
	var item map[string]any
	if err := decode(body, &item); err != nil {
		f.t.Errorf("fake: %v", err)
	}
	if p, ok := item["product"].(map[string]any); ok {
		if title, _ := p["title"].(string); len([]rune(title)) > 80 {
			f.answer(w, http.StatusBadRequest, errs(inventoryErr(25080, "The value of the title field is invalid. Field must not exceed 80 characters.")))
			return
		}
	}
	_, existed := f.items[sku]
	if existed && f.offerOf(sku) != nil {
		if e := f.revise(sku); e != nil {
			f.answer(w, http.StatusBadRequest, errs(e))
			return
		}
	}
	f.items[sku] = item
	if !existed {
		f.answer(w, http.StatusCreated, nil)
		return
	}
	f.answer(w, http.StatusNoContent, nil)
}

func (f *Server) servePutOffer(w http.ResponseWriter, id string, body []byte) {
	o, ok := f.offers[id]
	if !ok {
		f.answer(w, http.StatusNotFound, errs(inventoryErr(25713, "This Offer is not available : "+id+".")))
		return
	}
	var doc map[string]any
	if err := decode(body, &doc); err != nil {
		f.t.Errorf("fake: %v", err)
	}
	if e := checkAmounts(doc); e != nil {
		f.answer(w, http.StatusBadRequest, errs(e))
		return
	}
	if e := f.revise(o.sku); e != nil {
		f.answer(w, http.StatusBadRequest, errs(e))
		return
	}
	o.doc = doc
	f.answer(w, http.StatusNoContent, nil)
}

// checkAmounts refuses an offer whose amounts are no decimals above 0 in
// the marketplace's currency.
func checkAmounts(doc map[string]any) map[string]any {
	ps, _ := doc["pricingSummary"].(map[string]any)
	for _, k := range []string{"price", "originalRetailPrice", "minimumAdvertisedPrice"} {
		a, ok := ps[k].(map[string]any)
		if !ok {
			continue
		}
		if e := checkAmount(k, a); e != nil {
			return e
		}
	}
	if q := intAt(doc, "availableQuantity"); q != nil && *q < 0 {
		return inventoryErr(25709, "Invalid value for availableQuantity.")
	}
	return nil
}

func checkAmount(field string, a map[string]any) map[string]any {
	v, _ := a["value"].(string)
	d, err := decimal.NewFromString(v)
	if err != nil || !d.IsPositive() || a["currency"] != Currency {
		return inventoryErr(25709, fmt.Sprintf("Invalid value for %s. %v %v", field, a["currency"], a["value"]))
	}
	return nil
}

func (f *Server) serveBulkUpdate(w http.ResponseWriter, body []byte) {
	var req struct {
		Requests []struct {
			SKU    string `json:"sku"`
			ShipTo *struct {
				Quantity *int64 `json:"quantity"`
			} `json:"shipToLocationAvailability"`
			Offers []struct {
				OfferID           string         `json:"offerId"`
				AvailableQuantity *int64         `json:"availableQuantity"`
				Price             map[string]any `json:"price"`
			} `json:"offers"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("fake: %v", err)
	}
	skus := map[string]bool{}
	for _, rq := range req.Requests {
		if skus[rq.SKU] {
			f.invalidValue(w, "sku "+rq.SKU+" twice in one request")
			return
		}
		skus[rq.SKU] = true
	}
	if f.strict && len(skus) > 1 {
		// The document's description: "Only one SKU (one product) can be
		// updated per call." The exact error is unconfirmed.
		f.answer(w, http.StatusBadRequest, errs(inventoryErr(25002, "Any User error. Only one SKU (one product) can be updated per call.")))
		return
	}
	var responses []any
	all := true
	for _, rq := range req.Requests {
		fail := func(status int, e map[string]any) {
			all = false
			offerID := ""
			if len(rq.Offers) > 0 {
				offerID = rq.Offers[0].OfferID
			}
			resp := map[string]any{"sku": rq.SKU, "statusCode": status, "errors": []any{e}}
			if offerID != "" {
				resp["offerId"] = offerID
			}
			responses = append(responses, resp)
		}
		item, ok := f.items[rq.SKU]
		if !ok {
			fail(http.StatusNotFound, inventoryErr(25702, rq.SKU+" could not be found or is not available in the system."))
			continue
		}
		var bad map[string]any
		if rq.ShipTo != nil && (rq.ShipTo.Quantity == nil || *rq.ShipTo.Quantity < 0) {
			bad = inventoryErr(25709, "Invalid value for shipToLocationAvailability.quantity.")
		}
		for _, o := range rq.Offers {
			rec, ok := f.offers[o.OfferID]
			switch {
			case !ok:
				bad = inventoryErr(25713, "This Offer is not available : "+o.OfferID+".")
			case rec.sku != rq.SKU:
				bad = inventoryErr(25002, "A user error has occurred. Offer "+o.OfferID+" is associated with a different product/SKU.")
			case o.AvailableQuantity == nil && o.Price == nil:
				bad = inventoryErr(25709, "Invalid value for offers. Either availableQuantity or price is required.")
			case o.AvailableQuantity != nil && *o.AvailableQuantity < 0:
				bad = inventoryErr(25709, "Invalid value for availableQuantity.")
			case o.Price != nil:
				if e := checkAmount("price", o.Price); e != nil {
					bad = e
				}
			}
		}
		if bad != nil {
			fail(http.StatusBadRequest, bad)
			continue
		}
		if f.offerOf(rq.SKU) != nil {
			if e := f.revise(rq.SKU); e != nil {
				fail(http.StatusBadRequest, e)
				continue
			}
		}
		if rq.ShipTo != nil {
			av, _ := item["availability"].(map[string]any)
			if av == nil {
				av = map[string]any{}
				item["availability"] = av
			}
			ship, _ := av["shipToLocationAvailability"].(map[string]any)
			if ship == nil {
				ship = map[string]any{}
				av["shipToLocationAvailability"] = ship
			}
			ship["quantity"] = json.Number(strconv.FormatInt(*rq.ShipTo.Quantity, 10))
		}
		for _, o := range rq.Offers {
			rec := f.offers[o.OfferID]
			if o.AvailableQuantity != nil {
				rec.doc["availableQuantity"] = json.Number(strconv.FormatInt(*o.AvailableQuantity, 10))
			}
			if o.Price != nil {
				ps, _ := rec.doc["pricingSummary"].(map[string]any)
				if ps == nil {
					ps = map[string]any{}
					rec.doc["pricingSummary"] = ps
				}
				ps["price"] = o.Price
			}
			responses = append(responses, map[string]any{"sku": rq.SKU, "offerId": o.OfferID, "statusCode": 200})
		}
		if len(rq.Offers) == 0 {
			responses = append(responses, map[string]any{"sku": rq.SKU, "statusCode": 200})
		}
	}
	code := http.StatusOK
	if !all {
		code = http.StatusMultiStatus
	}
	f.answer(w, code, map[string]any{"responses": responses})
}

func (f *Server) serveOrder(w http.ResponseWriter, id string) {
	o, ok := f.orders[id]
	if !ok {
		f.answer(w, http.StatusNotFound, errs(apiErr(32100, "API_FULFILLMENT", "Invalid order ID: "+id)))
		return
	}
	f.answer(w, http.StatusOK, map[string]any{
		"orderId": o.id, "creationDate": o.created.UTC().Format("2006-01-02T15:04:05.000Z"), "orderFulfillmentStatus": "NOT_STARTED",
		"lineItems": []any{map[string]any{"lineItemId": o.lineItemID, "sku": o.sku, "quantity": o.units, "legacyItemId": "110000000001",
			"lineItemCost": amount("1.00"), "title": "item " + o.sku}},
	})
}

// OrderHook places a buyer's order of units of sku on the fake, lowering
// its quantity (the item's and the offer's) as eBay does, and returns the
// ORDER_CONFIRMATION notification eBay would send for it: the headers
// (with X-EBAY-SIGNATURE) and the raw body, signed with the fake's key.
func (f *Server) OrderHook(sku string, units int64) (http.Header, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lower := func(m map[string]any, key string) {
		if q := intAt(m, key); q != nil {
			m[key] = json.Number(strconv.FormatInt(max(*q-units, 0), 10))
		}
	}
	if item, ok := f.items[sku]; ok {
		if av, ok := item["availability"].(map[string]any); ok {
			if ship, ok := av["shipToLocationAvailability"].(map[string]any); ok {
				lower(ship, "quantity")
			}
		}
	}
	if o := f.offerOf(sku); o != nil {
		lower(o.doc, "availableQuantity")
	}
	f.nextID++
	now := f.now().UTC()
	o := &orderRec{id: fmt.Sprintf("27-%05d-%05d", f.nextID, 10000+f.nextID), lineItemID: strconv.Itoa(10070000000000 + f.nextID), sku: sku, units: units, created: now}
	f.orders[o.id] = o
	payload := map[string]any{
		"metadata": map[string]any{"topic": "ORDER_CONFIRMATION", "schemaVersion": "1.0", "deprecated": false},
		"notification": map[string]any{
			"notificationId": fmt.Sprintf("e2f6a8c0-0000-4000-8000-%012d", f.nextID),
			"eventDate":      now.Format("2006-01-02T15:04:05.000Z"), "publishDate": now.Format("2006-01-02T15:04:05.000Z"),
			"publishAttemptCount": 1,
			"data":                map[string]any{"orderId": o.id, "lineItemId": o.lineItemID},
		},
	}
	body, err := json.Marshal(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-EBAY-SIGNATURE", f.sign(body))
	return h, body
}

// Sign is the X-EBAY-SIGNATURE header of body, signed with the fake's key.
func (f *Server) Sign(body []byte) string { return f.sign(body) }

func (f *Server) sign(body []byte) string {
	sum := sha1.Sum(body) //nolint:gosec // G401: eBay's notification digest is SHA-1
	sig, err := ecdsa.SignASN1(rand.Reader, f.key, sum[:])
	if err != nil {
		f.t.Fatal(err)
	}
	head, err := json.Marshal(map[string]string{"alg": "ecdsa", "kid": KeyID, "signature": base64.StdEncoding.EncodeToString(sig), "digest": "SHA1"})
	if err != nil {
		f.t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(head)
}

// Orders are the IDs of the orders placed with OrderHook, sorted.
func (f *Server) Orders() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := slices.Collect(maps.Keys(f.orders))
	sort.Strings(ids)
	return ids
}
