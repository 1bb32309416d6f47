package shopifytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/accordhq/accord/adapters"
)

// Token is the access token the store accepts; any other is answered 401.
const Token = "shpat_test_token"

// LocationID is the store's one active location, where seeded stock is.
const LocationID = "gid://shopify/Location/1"

// Store is an httptest stand-in for one store's GraphQL Admin API. It
// validates every document and its variables against the 2025-04 schema
// (an invalid one fails the test), answers in the documented shapes (data
// projected through the document's own selections, userErrors with their
// codes and field paths, extensions.cost with throttleStatus), keeps a
// leaky cost bucket and answers THROTTLED when a request costs more than it
// holds, and records every request.
type Store struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	schema    *ast.Schema
	version   string // the API version in the path
	retired   string // a version whose requests are answered as version
	token     string
	products  map[string]*fakeProduct
	variants  []*fakeVariant
	levels    map[string]map[string]int64 // inventory item → location → available
	locations []fakeLocation
	nextID    int
	// The cost bucket: max points, restore per second, avail at at.
	max, restore, avail float64
	at                  time.Time
	throttled           int
	requests            []Request
	// fault, when set, may answer a request itself (an HTML page, a 500);
	// it returns true when it did.
	fault func(w http.ResponseWriter, op string) bool
	// beforeMutation runs before a mutation request is executed (a sale
	// landing between observe and apply).
	beforeMutation func()
	// bulk is the bulk query operation, once one ran; bulkEnd the status
	// it ends with ("": COMPLETED).
	bulk    *fakeBulk
	bulkEnd string
}

type fakeBulk struct {
	id, status string
	polls      int
	jsonl      []byte
}

type fakeProduct struct {
	id, title, description, status string
}

type fakeVariant struct {
	id, product, item, sku, price, barcode string
	compareAt                              *string
}

type fakeLocation struct {
	id, name string
	active   bool
}

// Request is one GraphQL request the store received.
type Request struct {
	Op        string         `json:"operationName"`
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// New starts a store speaking API version 2025-04, with one active
// location (LocationID) and a bucket of 2,000 points that restores fast
// enough never to throttle; it closes when the test ends.
func New(t testing.TB) *Store {
	t.Helper()
	s, err := Schema()
	if err != nil {
		t.Fatalf("loading the Admin API schema: %v", err)
	}
	f := &Store{
		t: t, schema: s, version: "2025-04", token: Token,
		products: map[string]*fakeProduct{}, levels: map[string]map[string]int64{},
		locations: []fakeLocation{{id: LocationID, name: "Warehouse", active: true}},
		nextID:    1000, max: 2000, restore: 100000, avail: 2000, at: time.Now(),
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the store's base URL: the adapter's endpoint.
func (f *Store) URL() string { return f.srv.URL }

// Client is an HTTP client for the store.
func (f *Store) Client() *http.Client { return f.srv.Client() }

// SetAPIVersion makes the store answer under another API version's path,
// validating against s (Schema202604 for "2026-04").
func (f *Store) SetAPIVersion(version string, s *ast.Schema) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version, f.schema = version, s
}

// FallForward makes the store take requests for requested, an API version
// Shopify no longer serves, and answer them as its own version, saying so
// in X-Shopify-Api-Version: what Shopify does with a retired version.
func (f *Store) FallForward(requested string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retired = requested
}

// AddLocation adds an active location; a variant is not stocked there.
func (f *Store) AddLocation(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locations = append(f.locations, fakeLocation{id: id, name: name, active: true})
}

func (f *Store) id(kind string) string {
	f.nextID++
	return "gid://shopify/" + kind + "/" + strconv.Itoa(f.nextID)
}

// Seed puts listings on the store as products of one variant each,
// stocked at LocationID.
func (f *Store) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		p := &fakeProduct{id: f.id("Product"), status: "ACTIVE"}
		p.title, _ = l.Field("title")
		p.description, _ = l.Field("description")
		f.products[p.id] = p
		v := &fakeVariant{id: f.id("ProductVariant"), product: p.id, item: f.id("InventoryItem"), sku: l.SKU, price: l.Price.Decimal.StringFixed(2)}
		v.barcode, _ = l.Field("gtin")
		if l.CompareAt.Valid {
			s := l.CompareAt.Decimal.StringFixed(2)
			v.compareAt = &s
		}
		f.variants = append(f.variants, v)
		f.levels[v.item] = map[string]int64{LocationID: l.Quantity.Units}
	}
}

// SeedVariant is one variant of a product AddProduct seeds.
type SeedVariant struct {
	SKU, Price string // the price as Shopify writes it: "10.00"
	Available  int64  // at LocationID
}

// AddProduct puts one active product of the given variants on the store.
func (f *Store) AddProduct(title string, vs ...SeedVariant) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &fakeProduct{id: f.id("Product"), title: title, status: "ACTIVE"}
	f.products[p.id] = p
	for _, sv := range vs {
		v := &fakeVariant{id: f.id("ProductVariant"), product: p.id, item: f.id("InventoryItem"), sku: sv.SKU, price: sv.Price}
		f.variants = append(f.variants, v)
		f.levels[v.item] = map[string]int64{LocationID: sv.Available}
	}
}

// MoveVariant makes the variant of sku a variant of the product of toSKU.
func (f *Store) MoveVariant(sku, toSKU string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, to := f.variantBySKU(sku), f.variantBySKU(toSKU)
	if v == nil || to == nil {
		f.t.Errorf("fake: no variant %s or %s", sku, toSKU)
		return
	}
	v.product = to.product
}

// Unstock makes the variant of sku stocked at no location.
func (f *Store) Unstock(sku string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.variantBySKU(sku); v != nil {
		f.levels[v.item] = map[string]int64{}
		return
	}
	f.t.Errorf("fake: no variant %s to unstock", sku)
}

func (f *Store) variantBySKU(sku string) *fakeVariant {
	for _, v := range f.variants {
		if v.sku == sku {
			return v
		}
	}
	return nil
}

// Sell lands an order: it lowers the quantity available of sku at
// LocationID by units, as a customer's purchase would.
func (f *Store) Sell(sku string, units int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.variantBySKU(sku); v != nil {
		f.levels[v.item][LocationID] -= units
		return
	}
	f.t.Errorf("fake: no variant %s to sell", sku)
}

// Available is the quantity available of sku at LocationID, or -1 when no
// variant has the SKU.
func (f *Store) Available(sku string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.variantBySKU(sku); v != nil {
		return f.levels[v.item][LocationID]
	}
	return -1
}

// Variant is a variant's state on the store.
type Variant struct {
	ID, ProductID, InventoryItemID string
	SKU, Price, Barcode            string
	CompareAt                      *string
	Title, DescriptionHTML, Status string // the product's
	Available                      int64  // at LocationID
	Stocked                        bool   // at LocationID
}

// Variant is the state of the variant of sku, if there is one.
func (f *Store) Variant(sku string) (Variant, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.variantBySKU(sku)
	if v == nil {
		return Variant{}, false
	}
	p := f.products[v.product]
	q, stocked := f.levels[v.item][LocationID]
	out := Variant{
		ID: v.id, ProductID: v.product, InventoryItemID: v.item, SKU: v.sku, Price: v.price, Barcode: v.barcode,
		Title: p.title, DescriptionHTML: p.description, Status: p.status, Available: q, Stocked: stocked,
	}
	if v.compareAt != nil {
		s := *v.compareAt
		out.CompareAt = &s
	}
	return out, true
}

// SetThrottle sets the cost bucket: maximum points, points restored a
// second, and points available now.
func (f *Store) SetThrottle(maximum, restore, available float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.max, f.restore, f.avail, f.at = maximum, restore, available, time.Now()
}

// Throttled is how many requests were answered THROTTLED.
func (f *Store) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttled
}

// Requests are the GraphQL requests received so far, in order.
func (f *Store) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// SetFault makes fault see each valid request first (by operation name);
// when it answers the request itself it returns true. nil removes it.
func (f *Store) SetFault(fault func(w http.ResponseWriter, op string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// BeforeMutation runs hook before each mutation is executed: a sale landing
// between observe and apply. nil removes it.
func (f *Store) BeforeMutation(hook func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.beforeMutation = hook
}

// BulkResult is the JSONL of the last bulk query, nil before one ran.
func (f *Store) BulkResult() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bulk == nil {
		return nil
	}
	return slices.Clone(f.bulk.jsonl)
}

// AppendBulkResult appends raw bytes to the last bulk query's result.
func (f *Store) AppendBulkResult(raw []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bulk != nil {
		f.bulk.jsonl = append(f.bulk.jsonl, raw...)
	}
}

// SetBulk sets the bulk query operation: running (another one is in
// progress) or none; and the status the next one ends with ("FAILED",
// "CANCELED"; "" for COMPLETED).
func (f *Store) SetBulk(running bool, endsWith string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bulk, f.bulkEnd = nil, endsWith
	if running {
		f.bulk = &fakeBulk{id: "gid://shopify/BulkOperation/1", status: "RUNNING"}
	}
}

func (f *Store) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake: %v", err)
	}
}

func (f *Store) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/bulk/") {
		f.serveBulk(w, r)
		return
	}
	f.mu.Lock()
	version, schema, token, retired := f.version, f.schema, f.token, f.retired
	f.mu.Unlock()
	if retired != "" && r.URL.Path == "/admin/api/"+retired+"/graphql.json" {
		r.URL.Path = "/admin/api/" + version + "/graphql.json"
	}
	w.Header().Set("X-Shopify-Api-Version", version)
	if want := "/admin/api/" + version + "/graphql.json"; r.Method != http.MethodPost || r.URL.Path != want {
		f.t.Errorf("fake: %s %s, want POST %s", r.Method, r.URL.Path, want)
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		f.t.Errorf("fake: Content-Type %q", r.Header.Get("Content-Type"))
	}
	if r.Header.Get("X-Shopify-Access-Token") != token {
		f.writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: %v", err)
		return
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("fake: the request body is not JSON: %v", err)
		f.writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "bad JSON"})
		return
	}
	op, vars, err := Validate(schema, req.Query, req.Op, req.Variables)
	if err != nil {
		f.t.Errorf("fake: a document the schema refuses: %v\n%s\nvariables: %v", err, req.Query, req.Variables)
		f.writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": err.Error()}}})
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	fault := f.fault
	hook := f.beforeMutation
	f.mu.Unlock()
	if fault != nil && fault(w, req.Op) {
		return
	}
	if op.Operation == ast.Mutation && hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	requested := f.cost(op, vars)
	now := time.Now()
	f.avail = min(f.max, f.avail+f.restore*now.Sub(f.at).Seconds())
	f.at = now
	costExt := func(actual any) map[string]any {
		return map[string]any{"cost": map[string]any{
			"requestedQueryCost": requested, "actualQueryCost": actual,
			"throttleStatus": map[string]any{"maximumAvailable": f.max, "currentlyAvailable": int(f.avail), "restoreRate": f.restore},
		}}
	}
	if requested > f.avail {
		f.throttled++
		f.writeJSON(w, http.StatusOK, map[string]any{
			"errors":     []any{map[string]any{"message": "Throttled", "extensions": map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
			"extensions": costExt(nil),
		})
		return
	}
	f.avail -= requested
	data := map[string]any{}
	for _, sel := range op.SelectionSet {
		fd := sel.(*ast.Field)
		key := fd.Alias
		if key == "" {
			key = fd.Name
		}
		data[key] = f.project(f.resolve(fd, fd.ArgumentMap(vars)), fd.SelectionSet, vars)
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"data": data, "extensions": costExt(requested)})
}

// cost is the requested cost the way Shopify's rate-limit page counts it:
// a mutation 10, an object 1, a connection 2 plus first times its node.
func (f *Store) cost(op *ast.OperationDefinition, vars map[string]any) float64 {
	if op.Operation == ast.Mutation {
		return float64(10 * len(op.SelectionSet))
	}
	var walk func(ss ast.SelectionSet) float64
	walk = func(ss ast.SelectionSet) float64 {
		total := 0.0
		for _, s := range ss {
			fd := s.(*ast.Field)
			if len(fd.SelectionSet) == 0 {
				continue
			}
			inner := walk(fd.SelectionSet)
			if n, ok := fd.ArgumentMap(vars)["first"].(int64); ok {
				total += 2 + float64(n)*inner
				continue
			}
			if n, ok := fd.ArgumentMap(vars)["first"].(int); ok {
				total += 2 + float64(n)*inner
				continue
			}
			total += 1 + inner
		}
		return total
	}
	return walk(op.SelectionSet)
}

// project keeps of v what the selection asks, under its aliases; a value
// may be a func of the field's arguments.
func (f *Store) project(v any, ss ast.SelectionSet, vars map[string]any) any {
	if len(ss) == 0 || v == nil {
		return v
	}
	switch x := v.(type) {
	case []map[string]any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = f.project(x[i], ss, vars)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for _, s := range ss {
			fd := s.(*ast.Field)
			key := fd.Alias
			if key == "" {
				key = fd.Name
			}
			val, ok := x[fd.Name]
			if !ok {
				f.t.Errorf("fake: no field %s here (the fake lacks it)", fd.Name)
				continue
			}
			if fn, ok := val.(func(map[string]any) any); ok {
				val = fn(fd.ArgumentMap(vars))
			}
			out[key] = f.project(val, fd.SelectionSet, vars)
		}
		return out
	}
	f.t.Errorf("fake: cannot project %T", v)
	return nil
}

func (f *Store) resolve(fd *ast.Field, args map[string]any) any {
	switch fd.Name {
	case "locations":
		var nodes []map[string]any
		for _, l := range f.locations {
			if l.active {
				nodes = append(nodes, map[string]any{"id": l.id, "name": l.name, "isActive": l.active})
			}
		}
		return map[string]any{"nodes": nodes}
	case "productVariants":
		return f.productVariants(args)
	case "productVariantsBulkUpdate":
		return f.bulkUpdate(args)
	case "inventorySetQuantities":
		if f.version >= "2026-04" && fd.Directives.ForName("idempotent") == nil {
			f.t.Errorf("fake: inventorySetQuantities without @idempotent, which %s requires", f.version)
		}
		return f.setQuantities(args)
	case "productUpdate":
		return f.productUpdate(args)
	case "productSet":
		return f.productSet(args)
	case "productVariantsCount":
		return map[string]any{"count": len(f.variants), "precision": "EXACT"}
	case "bulkOperationRunQuery":
		return f.runBulk(args)
	case "currentBulkOperation":
		return f.currentBulk()
	}
	f.t.Errorf("fake: no %s in the fake", fd.Name)
	return nil
}

func (f *Store) variantObject(v *fakeVariant) map[string]any {
	p := f.products[v.product]
	var ca any
	if v.compareAt != nil {
		ca = *v.compareAt
	}
	var bc any
	if v.barcode != "" {
		bc = v.barcode
	}
	item := v.item
	return map[string]any{
		"id": v.id, "sku": v.sku, "price": v.price, "compareAtPrice": ca, "barcode": bc,
		"inventoryItem": map[string]any{
			"id": v.item,
			"inventoryLevel": func(a map[string]any) any {
				loc, _ := a["locationId"].(string)
				q, ok := f.levels[item][loc]
				if !ok {
					return nil
				}
				return map[string]any{"id": "gid://shopify/InventoryLevel/" + strings.TrimPrefix(item, "gid://shopify/InventoryItem/"), "quantities": func(a map[string]any) any {
					var out []map[string]any
					names, _ := a["names"].([]any)
					for _, n := range names {
						if n == "available" {
							out = append(out, map[string]any{"id": "q", "name": "available", "quantity": q})
						}
					}
					return out
				}}
			},
		},
		"product": map[string]any{"id": p.id, "title": p.title, "descriptionHtml": p.description, "status": p.status},
	}
}

// ParseSKUQuery reads the adapter's search: sku:"..." terms joined by OR.
func ParseSKUQuery(q string) ([]string, error) {
	var out []string
	for q != "" {
		rest, ok := strings.CutPrefix(q, `sku:"`)
		if !ok {
			return nil, fmt.Errorf("search %q: want sku:\"...\"", q)
		}
		var sb strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
			}
			sb.WriteByte(rest[i])
		}
		if i == len(rest) {
			return nil, fmt.Errorf("search %q: unterminated quote", q)
		}
		out = append(out, sb.String())
		q = rest[i+1:]
		if q != "" {
			if q, ok = strings.CutPrefix(q, " OR "); !ok {
				return nil, fmt.Errorf("search: want OR, at %q", q)
			}
		}
	}
	return out, nil
}

func (f *Store) productVariants(args map[string]any) any {
	list := f.variants
	if q, ok := args["query"].(string); ok && q != "" {
		skus, err := ParseSKUQuery(q)
		if err != nil {
			f.t.Error(err)
		}
		list = nil
		for _, v := range f.variants {
			if slices.Contains(skus, v.sku) {
				list = append(list, v)
			}
		}
	}
	start := 0
	if a, ok := args["after"].(string); ok {
		n, err := strconv.Atoi(strings.TrimPrefix(a, "cursor:"))
		if err != nil {
			f.t.Errorf("fake: cursor %q", a)
		}
		start = n + 1
	}
	first := toInt(args["first"])
	if first < 1 || first > 250 {
		f.t.Errorf("fake: first = %d, Shopify allows 1 to 250", first)
	}
	end := min(start+first, len(list))
	nodes := []map[string]any{}
	for _, v := range list[min(start, len(list)):end] {
		nodes = append(nodes, f.variantObject(v))
	}
	var cursor any
	if end > start {
		cursor = "cursor:" + strconv.Itoa(end-1)
	}
	return map[string]any{"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": end < len(list), "endCursor": cursor}}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func userErr(code, msg string, field ...string) map[string]any {
	e := map[string]any{"message": msg, "field": field}
	if code != "" {
		e["code"] = code
	}
	return e
}

func (f *Store) variantByID(id string) *fakeVariant {
	for _, v := range f.variants {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (f *Store) bulkUpdate(args map[string]any) any {
	pid, _ := args["productId"].(string)
	if f.products[pid] == nil {
		return map[string]any{"userErrors": []map[string]any{userErr("PRODUCT_DOES_NOT_EXIST", "Product does not exist", "productId")}}
	}
	inputs, _ := args["variants"].([]any)
	var errs []map[string]any
	for i, in := range inputs {
		m := in.(map[string]any)
		idx := strconv.Itoa(i)
		v := f.variantByID(m["id"].(string))
		if v == nil {
			errs = append(errs, userErr("PRODUCT_VARIANT_DOES_NOT_EXIST", "Product variant does not exist", "variants", idx, "id"))
			continue
		}
		if v.product != pid {
			errs = append(errs, userErr("MUST_BE_FOR_THIS_PRODUCT", "Product variant must be for this product", "variants", idx, "id"))
		}
		for _, k := range []string{"price", "compareAtPrice"} {
			if s, ok := m[k].(string); ok {
				if d, err := decimal.NewFromString(s); err != nil || d.IsNegative() {
					errs = append(errs, userErr("NEGATIVE_PRICE_VALUE", "Price must be greater than or equal to 0", "variants", idx, k))
				}
			}
		}
	}
	if len(errs) > 0 { // allowPartialUpdates is false: nothing lands
		return map[string]any{"userErrors": errs, "productVariants": nil, "product": nil}
	}
	var out []map[string]any
	for _, in := range inputs {
		m := in.(map[string]any)
		v := f.variantByID(m["id"].(string))
		if p, ok := m["price"].(string); ok {
			v.price = p
		}
		if ca, ok := m["compareAtPrice"]; ok {
			if s, ok := ca.(string); ok {
				v.compareAt = &s
			} else {
				v.compareAt = nil
			}
		}
		if bc, ok := m["barcode"]; ok {
			s, _ := bc.(string)
			v.barcode = s
		}
		out = append(out, f.variantObject(v))
	}
	return map[string]any{"userErrors": []map[string]any{}, "productVariants": out}
}

var inventoryReasons = []string{"correction", "cycle_count_available", "damaged", "movement_created", "movement_updated", "movement_received", "movement_canceled", "other", "promotion", "quality_control", "received", "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage"}

func (f *Store) setQuantities(args map[string]any) any {
	in := args["input"].(map[string]any)
	var errs []map[string]any
	if in["name"] != "available" && in["name"] != "on_hand" {
		errs = append(errs, userErr("INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'", "input", "name"))
	}
	if !slices.Contains(inventoryReasons, in["reason"].(string)) {
		errs = append(errs, userErr("INVALID_REASON", "The specified reason is invalid", "input", "reason"))
	}
	ignore, _ := in["ignoreCompareQuantity"].(bool)
	qs, _ := in["quantities"].([]any)
	for i, q := range qs {
		m := q.(map[string]any)
		idx := strconv.Itoa(i)
		lv, ok := f.levels[m["inventoryItemId"].(string)]
		if !ok {
			errs = append(errs, userErr("INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", "input", "quantities", idx, "inventoryItemId"))
			continue
		}
		cur, ok := lv[m["locationId"].(string)]
		if !ok {
			errs = append(errs, userErr("ITEM_NOT_STOCKED_AT_LOCATION", "The inventory item is not stocked at the location.", "input", "quantities", idx, "locationId"))
			continue
		}
		if toInt(m["quantity"]) < 0 {
			errs = append(errs, userErr("INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.", "input", "quantities", idx, "quantity"))
		}
		cq, has := m["compareQuantity"]
		stale, field := "COMPARE_QUANTITY_STALE", "compareQuantity"
		if f.version >= "2026-04" {
			// changeFromQuantity must be sent; null opts out.
			if _, has = m["changeFromQuantity"]; !has {
				f.t.Errorf("fake: %s requires changeFromQuantity", f.version)
			}
			cq, ignore = m["changeFromQuantity"], m["changeFromQuantity"] == nil
			stale, field = "CHANGE_FROM_QUANTITY_STALE", "changeFromQuantity"
		}
		switch {
		case ignore:
		case !has || cq == nil:
			errs = append(errs, userErr("COMPARE_QUANTITY_REQUIRED", "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", "input", "quantities", idx, "compareQuantity"))
		case int64(toInt(cq)) != cur:
			errs = append(errs, userErr(stale, "The "+field+" value does not match persisted value.", "input", "quantities", idx, field))
		}
	}
	if len(errs) > 0 {
		return map[string]any{"userErrors": errs, "inventoryAdjustmentGroup": nil}
	}
	for _, q := range qs {
		m := q.(map[string]any)
		f.levels[m["inventoryItemId"].(string)][m["locationId"].(string)] = int64(toInt(m["quantity"]))
	}
	return map[string]any{"userErrors": []map[string]any{}, "inventoryAdjustmentGroup": map[string]any{"id": f.id("InventoryAdjustmentGroup")}}
}

func (f *Store) productUpdate(args map[string]any) any {
	in := args["product"].(map[string]any)
	p := f.products[in["id"].(string)]
	if p == nil {
		return map[string]any{"userErrors": []map[string]any{userErr("", "Product does not exist", "id")}, "product": nil}
	}
	if t, ok := in["title"].(string); ok {
		if strings.TrimSpace(t) == "" {
			return map[string]any{"userErrors": []map[string]any{userErr("", "Title can't be blank", "title")}, "product": nil}
		}
		p.title = t
	}
	if d, ok := in["descriptionHtml"].(string); ok {
		p.description = d
	}
	return map[string]any{"userErrors": []map[string]any{}, "product": map[string]any{"id": p.id}}
}

func (f *Store) productSet(args map[string]any) any {
	in := args["input"].(map[string]any)
	title, _ := in["title"].(string)
	if title == "" {
		return map[string]any{"userErrors": []map[string]any{userErr("BLANK", "Title can't be blank", "input", "title")}, "product": nil}
	}
	vs, _ := in["variants"].([]any)
	for i, x := range vs {
		sku, _ := x.(map[string]any)["sku"].(string)
		for _, v := range f.variants {
			if sku != "" && v.sku == sku {
				return map[string]any{"userErrors": []map[string]any{userErr("INVALID_VARIANT", "SKU "+sku+" is taken", "input", "variants", strconv.Itoa(i), "sku")}, "product": nil}
			}
		}
	}
	p := &fakeProduct{id: f.id("Product"), title: title, status: "ACTIVE"}
	p.description, _ = in["descriptionHtml"].(string)
	f.products[p.id] = p
	for _, x := range vs {
		m := x.(map[string]any)
		v := &fakeVariant{id: f.id("ProductVariant"), product: p.id, item: f.id("InventoryItem")}
		v.sku, _ = m["sku"].(string)
		v.price, _ = m["price"].(string)
		v.barcode, _ = m["barcode"].(string)
		if ca, ok := m["compareAtPrice"].(string); ok {
			v.compareAt = &ca
		}
		f.levels[v.item] = map[string]int64{}
		iqs, _ := m["inventoryQuantities"].([]any)
		for _, iq := range iqs {
			q := iq.(map[string]any)
			f.levels[v.item][q["locationId"].(string)] = int64(toInt(q["quantity"]))
		}
		f.variants = append(f.variants, v)
	}
	return map[string]any{"userErrors": []map[string]any{}, "product": map[string]any{"id": p.id}}
}

// runBulk starts a bulk query: the query must validate, and be a
// productVariants connection read through edges and node.
func (f *Store) runBulk(args map[string]any) any {
	q, _ := args["query"].(string)
	doc, errs := gqlparser.LoadQueryWithRules(f.schema, q, rules.NewDefaultRules())
	if len(errs) > 0 {
		f.t.Errorf("fake: a bulk query the schema refuses: %v\n%s", errs, q)
		return map[string]any{"bulkOperation": nil, "userErrors": []map[string]any{userErr("INVALID", errs.Error(), "query")}}
	}
	if f.bulk != nil && f.bulk.status == "RUNNING" {
		return map[string]any{"bulkOperation": nil, "userErrors": []map[string]any{userErr("OPERATION_IN_PROGRESS", "A bulk query operation for this app and shop is already in progress", "query")}}
	}
	var nodeSel ast.SelectionSet
	for _, s := range doc.Operations[0].SelectionSet {
		if fd := s.(*ast.Field); fd.Name == "productVariants" {
			for _, e := range fd.SelectionSet {
				if ef := e.(*ast.Field); ef.Name == "edges" {
					for _, n := range ef.SelectionSet {
						if nf := n.(*ast.Field); nf.Name == "node" {
							nodeSel = nf.SelectionSet
						}
					}
				}
			}
		}
	}
	if nodeSel == nil {
		f.t.Errorf("fake: the bulk query reads no productVariants edges { node }:\n%s", q)
	}
	var out []byte
	for _, v := range f.variants {
		line, err := json.Marshal(f.project(f.variantObject(v), nodeSel, nil))
		if err != nil {
			f.t.Error(err)
		}
		out = append(append(out, line...), '\n')
	}
	f.bulk = &fakeBulk{id: f.id("BulkOperation"), status: "RUNNING", jsonl: out}
	return map[string]any{"bulkOperation": map[string]any{"id": f.bulk.id, "status": "CREATED"}, "userErrors": []map[string]any{}}
}

func (f *Store) currentBulk() any {
	if f.bulk == nil {
		return nil
	}
	b := f.bulk
	b.polls++
	if b.polls > 1 && b.status == "RUNNING" {
		b.status = "COMPLETED"
		if f.bulkEnd != "" {
			b.status = f.bulkEnd
		}
	}
	var url any
	if b.status == "COMPLETED" && len(b.jsonl) > 0 {
		url = f.srv.URL + "/bulk/" + strings.TrimPrefix(b.id, "gid://shopify/BulkOperation/") + ".jsonl"
	}
	return map[string]any{"id": b.id, "status": b.status, "errorCode": nil, "url": url}
}

// serveBulk is the signed download of a bulk result: no access token
// goes there.
func (f *Store) serveBulk(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Shopify-Access-Token") != "" {
		f.t.Error("fake: the access token was sent to the bulk result's download URL")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bulk == nil || f.bulk.status != "COMPLETED" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	_, _ = w.Write(f.bulk.jsonl)
}
