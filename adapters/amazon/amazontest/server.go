package amazontest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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

// Item is one listing on the fake.
type Item struct {
	ProductType string
	// ASIN is the product the listing is an offer on; "" gives one made
	// from the SKU.
	ASIN string
	// Quantity is the DEFAULT (merchant) fulfillment quantity, nil for none.
	Quantity *int64
	// FBA makes the listing fulfilled by Amazon: AMAZON_NA availability.
	FBA       bool
	Price     decimal.NullDecimal // purchasable_offer our_price
	ListPrice decimal.NullDecimal // list_price
	// Sale is the offer's discounted_price, nil for none.
	Sale *Sale
	// Attributes are the simple attributes: name -> value.
	Attributes map[string]string
	Issues     []Issue
}

func (it Item) clone() Item {
	attrs := make(map[string]string, len(it.Attributes))
	for k, v := range it.Attributes {
		attrs[k] = v
	}
	it.Attributes = attrs
	it.Issues = slices.Clone(it.Issues)
	if it.Quantity != nil {
		q := *it.Quantity
		it.Quantity = &q
	}
	if it.Sale != nil {
		sl := *it.Sale
		it.Sale = &sl
	}
	return it
}

// Sale is a discounted_price schedule: Price from Starts until Ends.
type Sale struct {
	Price        decimal.Decimal
	Starts, Ends time.Time
}

// Issue is the models' Issue.
type Issue struct {
	Code           string   `json:"code"`
	Message        string   `json:"message"`
	Severity       string   `json:"severity"`
	AttributeNames []string `json:"attributeNames"`
	Categories     []string `json:"categories,omitempty"`
}

// Feed is what the fake knows of one feed.
type Feed struct {
	ID, DocumentID string
	// Status is its processingStatus: IN_QUEUE, IN_PROGRESS, DONE.
	Status string
	// Polls is how many getFeed calls asked for it.
	Polls     int
	resultDoc string
}

// patchRequest is the models' ListingsItemPatchRequest.
type patchRequest struct {
	ProductType string `json:"productType"`
	Patches     []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value,omitempty"`
	} `json:"patches"`
}

// submission is the models' ListingsItemSubmissionResponse.
type submission struct {
	SKU          string  `json:"sku"`
	Status       string  `json:"status"`
	SubmissionID string  `json:"submissionId"`
	Issues       []Issue `json:"issues"`
}

// putRequest is the models' ListingsItemPutRequest.
type putRequest struct {
	ProductType  string                       `json:"productType"`
	Requirements string                       `json:"requirements"`
	Attributes   map[string][]json.RawMessage `json:"attributes"`
}

// feedDocument is a JSON_LISTINGS_FEED document of PATCH messages and the
// UPDATE messages that create offers.
type feedDocument struct {
	Messages []struct {
		MessageID     int    `json:"messageId"`
		SKU           string `json:"sku"`
		OperationType string `json:"operationType"`
		patchRequest
		Requirements string                       `json:"requirements"`
		Attributes   map[string][]json.RawMessage `json:"attributes"`
	} `json:"messages"`
}

// Product is a product in Amazon's catalog, which a seller's offer-only
// listing is an offer on.
type Product struct {
	ProductType string
	// Attributes are the product's simple attributes (item_name...): what
	// an offer on it shows.
	Attributes map[string]string
}

// FeedContentType is the content type of a JSON_LISTINGS_FEED document
// the fake expects on an upload: the one the adapter gives
// createFeedDocument.
const FeedContentType = "application/json; charset=UTF-8"

// The credentials the fake's token endpoint accepts, and the seller and
// marketplace it serves. Made up.
const (
	ClientID      = "amzn1.application-oa2-client.test"
	ClientSecret  = "s3cr3t-client"
	RefreshToken  = "Atzr|refresh-secret" //nolint:gosec // G101: made up for the fake
	SellerID      = "A1SELLER"
	MarketplaceID = "ATVPDKIKX0DER"
)

// fieldAttrs names the attribute of an accord listing field.
var fieldAttrs = map[string]string{"title": "item_name", "description": "product_description"}

// textAttrs are the attributes answered with a language_tag.
var textAttrs = map[string]bool{"item_name": true, "product_description": true}

// Server is a fake Selling Partner API and Login with Amazon token
// endpoint on one httptest server. It checks every request against the
// models (parameters, body), answers in the models' shapes (every answer
// validated too) and keeps the listings in memory. A request outside the
// models fails the test that started it. Its methods are safe to call
// while a client runs.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	seller      string
	marketplace string
	items       map[string]*Item
	products    map[string]Product   // by ASIN
	creates     map[string]int       // offers created, by SKU
	tokens      map[string]time.Time // access token -> expiry
	tokenCalls  int
	nextToken   int
	docs        map[string][]byte // feed document ID -> uploaded body
	feeds       map[string]*Feed
	feedOrder   []string
	reports     map[string][]byte // result document ID -> report
	nextID      int
	rateHeader  string // x-amzn-RateLimit-Limit to answer, "" for none
	// processPolls is how many getFeed calls a feed stays IN_PROGRESS.
	processPolls int
	// hold keeps every feed IN_PROGRESS until released.
	hold bool
	// rejectAttr makes a patch of the attribute INVALID with an issue.
	rejectAttr map[string]string
	lwaRefused bool
	// api keeps the failures to answer, the usage plans to enforce by
	// operation (a request over its bucket is answered 429, as Amazon
	// does), the counts and the request log ("METHOD path?query body", in
	// order, for golden files).
	api apitest.Ledger
}

// New starts a fake serving SellerID in MarketplaceID, closed when the
// test ends. A feed is IN_QUEUE when created, IN_PROGRESS at the first
// getFeed and DONE at the next one.
func New(t testing.TB) *Server {
	f := &Server{
		t: t, seller: SellerID, marketplace: MarketplaceID,
		items: map[string]*Item{}, products: map[string]Product{}, creates: map[string]int{}, tokens: map[string]time.Time{},
		docs: map[string][]byte{}, feeds: map[string]*Feed{}, reports: map[string][]byte{},
		rejectAttr: map[string]string{}, processPolls: 1, rateHeader: "100",
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the SP-API base URL: a channel's endpoint.
func (f *Server) URL() string { return f.srv.URL }

// TokenURL is the Login with Amazon token URL: a channel's token_endpoint.
func (f *Server) TokenURL() string { return f.srv.URL + "/auth/o2/token" }

// Client is an HTTP client for the fake.
func (f *Server) Client() *http.Client { return f.srv.Client() }

// Config is a channel config block pointing at the fake, with the
// credentials through env("AMAZON_CLIENT_ID"), env("AMAZON_CLIENT_SECRET")
// and env("AMAZON_REFRESH_TOKEN"), and extra lines appended.
func (f *Server) Config(extra string) string {
	return fmt.Sprintf(`
region         = "na"
marketplace_id = %q
seller_id      = %q
client_id      = env("AMAZON_CLIENT_ID")
client_secret  = env("AMAZON_CLIENT_SECRET")
refresh_token  = env("AMAZON_REFRESH_TOKEN")
endpoint       = %q
token_endpoint = %q
%s`, f.marketplace, f.seller, f.srv.URL, f.TokenURL(), extra)
}

// Env is the environment the credentials of Config read.
func Env() map[string]string {
	return map[string]string{"AMAZON_CLIENT_ID": ClientID, "AMAZON_CLIENT_SECRET": ClientSecret, "AMAZON_REFRESH_TOKEN": RefreshToken}
}

// Seed puts listings on the fake, of product type PRODUCT: price, list
// price (CompareAt), merchant-fulfilled quantity and fields (title as
// item_name, description as product_description, others by name).
func (f *Server) Seed(ls []adapters.Listing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		it := &Item{ProductType: "PRODUCT", Price: l.Price, ListPrice: l.CompareAt, Attributes: map[string]string{}}
		if l.Quantity.Valid {
			q := l.Quantity.Units
			it.Quantity = &q
		}
		for _, fl := range l.Fields {
			name := fl.Name
			if a, ok := fieldAttrs[name]; ok {
				name = a
			}
			it.Attributes[name] = fl.Value
		}
		f.items[l.SKU] = it
	}
}

// AddProduct puts a product in the fake's catalog under asin: a seller can
// then list an offer on it.
func (f *Server) AddProduct(asin string, p Product) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.products[asin] = p
}

// ProductFor puts a product with l's fields in the catalog, of product type
// PRODUCT under an ASIN made from l's SKU, and gives l that ASIN as its
// catalog identifier: l can then be created as an offer on it.
func (f *Server) ProductFor(l *adapters.Listing) string {
	sum := sha256.Sum256([]byte(l.SKU))
	asin := "B0" + strings.ToUpper(hex.EncodeToString(sum[:4]))
	p := Product{ProductType: "PRODUCT", Attributes: map[string]string{}}
	for _, fl := range l.Fields {
		name := fl.Name
		if a, ok := fieldAttrs[name]; ok {
			name = a
		}
		p.Attributes[name] = fl.Value
	}
	f.AddProduct(asin, p)
	l.Identifiers = slices.DeleteFunc(l.Identifiers, func(fl adapters.Field) bool { return fl.Name == "asin" })
	l.Identifiers = append(l.Identifiers, adapters.Field{Name: "asin", Value: asin})
	slices.SortFunc(l.Identifiers, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) })
	return asin
}

// Creates is how many times an offer was created for sku: more than one is
// a duplicate submission.
func (f *Server) Creates(sku string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates[sku]
}

// Listing is a copy of the listing of sku, and whether there is one.
func (f *Server) Listing(sku string) (Item, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[sku]
	if !ok {
		return Item{}, false
	}
	return it.clone(), true
}

// Put sets the listing of sku.
func (f *Server) Put(sku string, it Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := it.clone()
	f.items[sku] = &c
}

// Fail answers the next SP-API request of operation op (any operation
// when "") with status, content type and body, before anything else.
func (f *Server) Fail(status int, op string, contentType, body string) {
	f.api.Fail(status, op, contentType, body)
}

// ExpireTokens makes every access token handed out so far expired.
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tokens {
		f.tokens[k] = time.Time{}
	}
}

// RefuseTokens makes the token endpoint answer invalid_grant.
func (f *Server) RefuseTokens(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lwaRefused = refuse
}

// RejectAttribute makes every patch or feed message that sets attr
// INVALID, with an ERROR issue saying msg.
func (f *Server) RejectAttribute(attr, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejectAttr[attr] = msg
}

// SetRateHeader sets the x-amzn-RateLimit-Limit of every answer; "" sends
// none. It is "100" at first.
func (f *Server) SetRateHeader(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateHeader = v
}

// SetLimit enforces a usage plan on operation op (its operationId): a
// request the limiter has no token for is answered 429 QuotaExceeded. A
// nil limiter lifts it.
func (f *Server) SetLimit(op string, l *rate.Limiter) { f.api.SetLimit(op, l) }

// SetProcessPolls sets how many getFeed calls a feed stays IN_PROGRESS
// (1 at first).
func (f *Server) SetProcessPolls(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.processPolls = n
}

// HoldFeeds keeps every feed IN_PROGRESS, however often it is asked for,
// until ReleaseFeeds.
func (f *Server) HoldFeeds() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = true
}

// ReleaseFeeds lets held feeds finish at their next getFeed.
func (f *Server) ReleaseFeeds() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = false
}

// Feeds is what the fake knows of the feeds created, in order.
func (f *Server) Feeds() []Feed {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Feed, 0, len(f.feedOrder))
	for _, id := range f.feedOrder {
		out = append(out, *f.feeds[id])
	}
	return out
}

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

// Requests are the SP-API requests and uploads served, in order, each as
// "METHOD path?query body": the text of a golden file.
func (f *Server) Requests() []string { return f.api.Requests() }

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading the request: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/auth/o2/token":
		f.serveToken(w, r, body)
		return
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		f.serveUpload(w, r, body)
		return
	case strings.HasPrefix(r.URL.Path, "/download/"):
		if r.Header.Get("x-amz-access-token") != "" {
			f.t.Errorf("fake: the access token was sent to a presigned URL")
		}
		rep, ok := f.reports[strings.TrimPrefix(r.URL.Path, "/download/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(rep)
		_ = zw.Close()
		_, _ = w.Write(gz.Bytes())
		return
	}
	f.api.Record(apitest.Line(r, body))
	opID, err := checkRequest(f.t, r, body)
	if err != nil {
		f.t.Errorf("fake: a request outside the models: %v", err)
		f.answer(w, r, http.StatusBadRequest, errList("InvalidInput", err.Error()))
		return
	}
	f.api.Call(opID)
	exp, ok := f.tokens[r.Header.Get("x-amz-access-token")]
	switch {
	case !ok:
		f.answer(w, r, http.StatusForbidden, errList("Unauthorized", "Access to requested resource is denied."))
		return
	case !time.Now().Before(exp):
		f.answer(w, r, http.StatusForbidden, map[string]any{"errors": []any{map[string]any{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": "The access token you provided has expired."}}})
		return
	}
	if f.api.Failure(w, opID) {
		return
	}
	// The bucket forgives 10ms of network delay: a request that would
	// find a token 10ms later is taken, on credit repaid by the next. A
	// client pacing to the published rate on its own clock sees each
	// request arrive a little later or earlier than it was sent; a
	// constant delay moves nothing, jitter does.
	if f.api.Limited(opID, 10*time.Millisecond) {
		f.answer(w, r, http.StatusTooManyRequests, errList("QuotaExceeded", "You exceeded your quota for the requested resource."))
		return
	}
	if f.rateHeader != "" {
		w.Header().Set("x-amzn-RateLimit-Limit", f.rateHeader)
	}
	w.Header().Set("x-amzn-RequestId", strconv.Itoa(f.api.Recorded()))
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch opID {
	case "searchListingsItems":
		f.serveSearch(w, r)
	case "getListingsItem":
		sku, _ := url.PathUnescape(parts[4])
		it, ok := f.items[sku]
		if !ok || parts[3] != f.seller {
			f.answer(w, r, http.StatusNotFound, errList("NOT_FOUND", "SKU '"+sku+"' not found in marketplace "+f.marketplace))
			return
		}
		f.answer(w, r, http.StatusOK, f.render(sku, it, r.URL.Query().Get("includedData")))
	case "patchListingsItem":
		sku, _ := url.PathUnescape(parts[4])
		var req patchRequest
		if err := json.Unmarshal(body, &req); err != nil {
			f.t.Errorf("fake: %v", err)
		}
		f.answer(w, r, http.StatusOK, f.patch(sku, req))
	case "putListingsItem":
		sku, _ := url.PathUnescape(parts[4])
		var req putRequest
		if err := json.Unmarshal(body, &req); err != nil {
			f.t.Errorf("fake: %v", err)
		}
		f.answer(w, r, http.StatusOK, f.put(sku, req))
	case "createFeedDocument":
		f.nextID++
		id := "amzn1.tortuga.doc." + strconv.Itoa(f.nextID)
		f.docs[id] = nil
		f.answer(w, r, http.StatusCreated, map[string]any{"feedDocumentId": id, "url": f.srv.URL + "/upload/" + id + "?X-Amz-Signature=sig"})
	case "createFeed":
		var spec struct {
			FeedType            string `json:"feedType"`
			InputFeedDocumentID string `json:"inputFeedDocumentId"`
		}
		_ = json.Unmarshal(body, &spec)
		if spec.FeedType != "JSON_LISTINGS_FEED" || f.docs[spec.InputFeedDocumentID] == nil {
			f.answer(w, r, http.StatusBadRequest, errList("InvalidInput", "no such uploaded document or feed type"))
			return
		}
		f.nextID++
		id := strconv.Itoa(50000 + f.nextID)
		f.feeds[id] = &Feed{ID: id, DocumentID: spec.InputFeedDocumentID, Status: "IN_QUEUE"}
		f.feedOrder = append(f.feedOrder, id)
		f.answer(w, r, http.StatusAccepted, map[string]any{"feedId": id})
	case "getFeed":
		fd, ok := f.feeds[parts[3]]
		if !ok {
			f.answer(w, r, http.StatusNotFound, errList("NotFound", "no such feed"))
			return
		}
		f.advance(fd)
		ans := map[string]any{"feedId": fd.ID, "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": []string{f.marketplace}, "createdTime": "2026-11-30T16:00:00Z", "processingStatus": fd.Status}
		if fd.resultDoc != "" {
			ans["resultFeedDocumentId"] = fd.resultDoc
		}
		f.answer(w, r, http.StatusOK, ans)
	case "getFeedDocument":
		if _, ok := f.reports[parts[3]]; !ok {
			f.answer(w, r, http.StatusNotFound, errList("NotFound", "no such document"))
			return
		}
		f.answer(w, r, http.StatusOK, map[string]any{"feedDocumentId": parts[3], "url": f.srv.URL + "/download/" + parts[3], "compressionAlgorithm": "GZIP"})
	default:
		f.answer(w, r, http.StatusBadRequest, errList("InvalidInput", "the fake does not serve "+opID))
	}
}

func errList(code, msg string) map[string]any {
	return map[string]any{"errors": []any{map[string]any{"code": code, "message": msg}}}
}

// answer writes v as JSON after checking it against the operation's
// response schema in the models.
func (f *Server) answer(w http.ResponseWriter, r *http.Request, code int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		f.t.Errorf("fake: %v", err)
	}
	if ref := responseRef(f.t, r.Method, r.URL.EscapedPath(), code); ref != "" {
		if err := validate(f.t, ref, raw); err != nil {
			f.t.Errorf("fake: its own answer %d to %s %s does not validate against %s: %v", code, r.Method, r.URL.Path, ref, err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(raw)
}

func (f *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	f.tokenCalls++
	form, err := url.ParseQuery(string(body))
	if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		f.t.Errorf("fake: the token request is not a form: %v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	if f.lwaRefused || form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != RefreshToken ||
		form.Get("client_id") != ClientID || form.Get("client_secret") != ClientSecret {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token"}`)
		return
	}
	f.nextToken++
	tok := fmt.Sprintf("Atza|access-%d", f.nextToken)
	f.tokens[tok] = time.Now().Add(time.Hour)
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"refresh_token":%q,"token_type":"bearer","expires_in":3600}`, tok, form.Get("refresh_token"))
}

func (f *Server) serveUpload(w http.ResponseWriter, r *http.Request, body []byte) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if _, ok := f.docs[id]; !ok || r.Method != http.MethodPut || r.URL.Query().Get("X-Amz-Signature") == "" {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if r.Header.Get("x-amz-access-token") != "" {
		f.t.Errorf("fake: the access token was sent to a presigned URL")
	}
	if ct := r.Header.Get("Content-Type"); ct != FeedContentType {
		f.t.Errorf("fake: upload content type %q, want the one given to createFeedDocument", ct)
	}
	if err := validate(f.t, "listings-feed-schema-v2.json", body); err != nil {
		f.t.Errorf("fake: the feed document does not validate: %v", err)
	}
	var doc struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		f.t.Errorf("fake: %v", err)
	}
	for i, m := range doc.Messages {
		if err := validate(f.t, "listings-feed-message-schema-v2.json", m); err != nil {
			f.t.Errorf("fake: feed message %d does not validate: %v", i+1, err)
		}
	}
	f.docs[id] = body
	f.api.Record("PUT /upload/" + id + " " + string(body))
}

// advance moves a feed along on each getFeed; at DONE its messages are
// applied and its processing report written.
func (f *Server) advance(fd *Feed) {
	fd.Polls++
	switch {
	case fd.Status == "IN_QUEUE":
		fd.Status = "IN_PROGRESS"
		return
	case fd.Status == "IN_PROGRESS" && (f.hold || fd.Polls <= f.processPolls):
		return
	case fd.Status != "IN_PROGRESS":
		return
	}
	var doc feedDocument
	_ = json.Unmarshal(f.docs[fd.DocumentID], &doc)
	var issues []map[string]any
	accepted := 0
	for _, m := range doc.Messages {
		var res submission
		switch m.OperationType {
		case "UPDATE":
			res = f.put(m.SKU, putRequest{ProductType: m.ProductType, Requirements: m.Requirements, Attributes: m.Attributes})
		case "PATCH":
			res = f.patch(m.SKU, m.patchRequest)
		default:
			res = submission{SKU: m.SKU, Status: "INVALID", Issues: []Issue{{Code: "4000003", Message: "the fake does not take operationType " + m.OperationType, Severity: "ERROR"}}}
		}
		if res.Status == "ACCEPTED" {
			accepted++
		}
		for _, is := range res.Issues {
			x := map[string]any{"messageId": m.MessageID, "sku": m.SKU, "code": is.Code, "severity": is.Severity, "message": is.Message}
			if len(is.AttributeNames) > 0 {
				x["attributeName"] = is.AttributeNames[0]
			}
			issues = append(issues, x)
		}
	}
	rep := map[string]any{
		"header": map[string]any{"sellerId": f.seller, "version": "2.0", "feedId": fd.ID},
		"issues": issues,
		"summary": map[string]any{"errors": len(issues), "warnings": 0, "messagesProcessed": len(doc.Messages),
			"messagesAccepted": accepted, "messagesInvalid": len(doc.Messages) - accepted},
	}
	if issues == nil {
		rep["issues"] = []any{}
	}
	raw := mustJSON(f.t, rep)
	if err := validate(f.t, "listings-feed-processing-report-schema-v2.json", raw); err != nil {
		f.t.Errorf("fake: its processing report does not validate: %v", err)
	}
	f.nextID++
	fd.resultDoc = "amzn1.tortuga.report." + strconv.Itoa(f.nextID)
	f.reports[fd.resultDoc] = raw
	fd.Status = "DONE"
}

// put creates an offer-only listing on a product of the fake's catalog, as
// Amazon would answer it: INVALID with an issue for anything else (the fake
// takes LISTING_OFFER_ONLY only, on a known ASIN). A put on a listing that
// exists replaces its offer.
func (f *Server) put(sku string, req putRequest) submission {
	res := submission{SKU: sku, SubmissionID: fmt.Sprintf("sub-%d", f.api.Recorded()), Status: "ACCEPTED", Issues: []Issue{}}
	invalid := func(code, msg, attr string) submission {
		res.Status = "INVALID"
		is := Issue{Code: code, Message: msg, Severity: "ERROR", Categories: []string{"INVALID_ATTRIBUTE"}}
		if attr != "" {
			is.AttributeNames = []string{attr}
		}
		res.Issues = append(res.Issues, is)
		return res
	}
	if req.Requirements != "LISTING_OFFER_ONLY" {
		return invalid("4000004", "the fake creates offer-only listings only, not requirements "+req.Requirements, "")
	}
	value := func(attr, key string, into any) bool {
		vals := req.Attributes[attr]
		if len(vals) != 1 {
			return false
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(vals[0], &m) != nil || m["marketplace_id"] == nil {
			return false
		}
		return json.Unmarshal(m[key], into) == nil
	}
	var asin, cond string
	if !value("merchant_suggested_asin", "value", &asin) {
		return invalid("90220", "'merchant_suggested_asin' is required but not supplied.", "merchant_suggested_asin")
	}
	if !value("condition_type", "value", &cond) {
		return invalid("90220", "'condition_type' is required but not supplied.", "condition_type")
	}
	prod, ok := f.products[asin]
	if !ok {
		return invalid("8541", "The ASIN "+asin+" does not exist in marketplace "+f.marketplace+".", "merchant_suggested_asin")
	}
	it := &Item{ProductType: prod.ProductType, ASIN: asin, Attributes: map[string]string{}}
	maps.Copy(it.Attributes, prod.Attributes)
	if old, ok := f.items[sku]; ok {
		it = old
	}
	// The offer's terms go through the patch logic: the same attributes.
	var patch patchRequest
	patch.ProductType = it.ProductType
	for _, attr := range []string{"purchasable_offer", "list_price", "fulfillment_availability"} {
		vals, ok := req.Attributes[attr]
		if !ok {
			continue
		}
		var v any
		_ = json.Unmarshal(mustJSON(f.t, vals), &v)
		patch.Patches = append(patch.Patches, struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value,omitempty"`
		}{Op: "replace", Path: "/attributes/" + attr, Value: v})
	}
	prev, existed := f.items[sku]
	f.items[sku] = it
	sub := f.patch(sku, patch)
	if sub.Status != "ACCEPTED" {
		if existed {
			f.items[sku] = prev
		} else {
			delete(f.items, sku)
		}
		sub.SubmissionID = res.SubmissionID
		return sub
	}
	if !existed {
		f.creates[sku]++
	}
	return res
}

// patch applies a patch request to the fake's listing, as Amazon would
// answer it: an issue per refused attribute, nothing of an INVALID
// submission applied.
func (f *Server) patch(sku string, req patchRequest) submission {
	res := submission{SKU: sku, SubmissionID: fmt.Sprintf("sub-%d", f.api.Recorded()), Status: "ACCEPTED", Issues: []Issue{}}
	it, ok := f.items[sku]
	if !ok {
		res.Status = "INVALID"
		res.Issues = append(res.Issues, Issue{Code: "4000001", Message: "The SKU " + sku + " is not listed.", Severity: "ERROR", Categories: []string{"INVALID_ATTRIBUTE"}})
		return res
	}
	if req.ProductType != it.ProductType {
		res.Status = "INVALID"
		res.Issues = append(res.Issues, Issue{Code: "4000002", Message: "productType " + req.ProductType + " is not the listing's " + it.ProductType, Severity: "ERROR", Categories: []string{"INVALID_ATTRIBUTE"}})
		return res
	}
	next := it.clone()
	for _, p := range req.Patches {
		attr := strings.TrimPrefix(p.Path, "/attributes/")
		if msg, ok := f.rejectAttr[attr]; ok {
			res.Status = "INVALID"
			res.Issues = append(res.Issues, Issue{Code: "90220", Message: msg, Severity: "ERROR", AttributeNames: []string{attr}, Categories: []string{"INVALID_ATTRIBUTE"}})
			continue
		}
		raw := mustJSON(f.t, p.Value)
		var vals []map[string]json.RawMessage
		_ = json.Unmarshal(raw, &vals)
		if p.Op == "delete" {
			if attr == "list_price" {
				next.ListPrice = decimal.NullDecimal{}
			}
			delete(next.Attributes, attr)
			continue
		}
		if len(vals) != 1 {
			res.Status = "INVALID"
			res.Issues = append(res.Issues, Issue{Code: "99022", Message: "one value expected", Severity: "ERROR", AttributeNames: []string{attr}, Categories: []string{"INVALID_ATTRIBUTE"}})
			continue
		}
		v := vals[0]
		switch attr {
		case "fulfillment_availability":
			var q int64
			_ = json.Unmarshal(v["quantity"], &q)
			next.Quantity = &q
		case "purchasable_offer":
			// A replace sets the whole offer: a discounted_price not sent
			// is gone.
			type schedule []struct {
				Schedule []struct {
					Value   decimal.Decimal `json:"value_with_tax"`
					StartAt *time.Time      `json:"start_at"`
					EndAt   *time.Time      `json:"end_at"`
				} `json:"schedule"`
			}
			var offer, discount schedule
			_ = json.Unmarshal(v["our_price"], &offer)
			if len(offer) != 1 || len(offer[0].Schedule) != 1 {
				res.Status = "INVALID"
				res.Issues = append(res.Issues, Issue{Code: "99022", Message: "our_price needs one schedule", Severity: "ERROR", AttributeNames: []string{"purchasable_offer.our_price"}, Categories: []string{"INVALID_ATTRIBUTE"}})
				continue
			}
			next.Price = decimal.NullDecimal{Decimal: offer[0].Schedule[0].Value, Valid: true}
			next.Sale = nil
			if raw, ok := v["discounted_price"]; ok {
				err := json.Unmarshal(raw, &discount)
				if err != nil || len(discount) != 1 || len(discount[0].Schedule) != 1 || discount[0].Schedule[0].StartAt == nil || discount[0].Schedule[0].EndAt == nil {
					res.Status = "INVALID"
					res.Issues = append(res.Issues, Issue{Code: "99022", Message: "discounted_price needs one schedule with start_at and end_at", Severity: "ERROR", AttributeNames: []string{"purchasable_offer.discounted_price"}, Categories: []string{"INVALID_ATTRIBUTE"}})
					continue
				}
				sc := discount[0].Schedule[0]
				next.Sale = &Sale{Price: sc.Value, Starts: *sc.StartAt, Ends: *sc.EndAt}
			}
		case "list_price":
			var d decimal.Decimal
			_ = json.Unmarshal(v["value"], &d)
			next.ListPrice = decimal.NullDecimal{Decimal: d, Valid: true}
		default:
			var s string
			_ = json.Unmarshal(v["value"], &s)
			next.Attributes[attr] = s
		}
	}
	if res.Status == "ACCEPTED" {
		*it = next
	}
	return res
}

func (f *Server) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var skus []string
	if ids := q.Get("identifiers"); ids != "" {
		if q.Get("identifiersType") != "SKU" {
			f.t.Errorf("fake: identifiers without identifiersType=SKU")
		}
		for _, s := range strings.Split(ids, ",") {
			if _, ok := f.items[s]; ok {
				skus = append(skus, s)
			}
		}
	} else {
		for s := range f.items {
			skus = append(skus, s)
		}
	}
	sort.Strings(skus)
	size := 10
	if ps := q.Get("pageSize"); ps != "" {
		size, _ = strconv.Atoi(ps)
	}
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(tok, "page-"))
	}
	end := min(start+size, len(skus))
	items := []any{}
	for _, s := range skus[min(start, len(skus)):end] {
		items = append(items, f.render(s, f.items[s], q.Get("includedData")))
	}
	ans := map[string]any{"numberOfResults": len(skus), "items": items}
	if end < len(skus) {
		ans["pagination"] = map[string]any{"nextToken": "page-" + strconv.Itoa(end)}
	}
	f.answer(w, r, http.StatusOK, ans)
}

// render is an Item in the models' shape, with includedData's parts.
func (f *Server) render(sku string, it *Item, included string) map[string]any {
	inc := map[string]bool{}
	for _, s := range strings.Split(included, ",") {
		inc[s] = true
	}
	if included == "" {
		inc["summaries"] = true
	}
	out := map[string]any{"sku": sku}
	asin := it.ASIN
	if asin == "" {
		asin = "B0" + strings.ReplaceAll(sku, "-", "")
	}
	if inc["summaries"] {
		out["summaries"] = []any{map[string]any{
			"marketplaceId": f.marketplace, "asin": asin, "productType": it.ProductType,
			"conditionType": "new_new", "status": []string{"BUYABLE", "DISCOVERABLE"}, "itemName": it.Attributes["item_name"],
			"createdDate": "2026-01-01T00:00:00Z", "lastUpdatedDate": "2026-11-30T00:00:00Z",
		}}
	}
	if inc["attributes"] {
		attrs := map[string]any{}
		for k, v := range it.Attributes {
			val := map[string]any{"value": v, "marketplace_id": f.marketplace}
			if textAttrs[k] {
				val["language_tag"] = "en_US"
			}
			attrs[k] = []any{val}
		}
		if it.ListPrice.Valid {
			attrs["list_price"] = []any{map[string]any{"currency": "USD", "value": json.Number(it.ListPrice.Decimal.String()), "marketplace_id": f.marketplace}}
		}
		if it.Price.Valid {
			offer := map[string]any{"marketplace_id": f.marketplace, "currency": "USD", "audience": "ALL",
				"our_price": []any{map[string]any{"schedule": []any{map[string]any{"value_with_tax": json.Number(it.Price.Decimal.String())}}}}}
			if sl := it.Sale; sl != nil {
				offer["discounted_price"] = []any{map[string]any{"schedule": []any{map[string]any{"value_with_tax": json.Number(sl.Price.String()),
					"start_at": sl.Starts.UTC().Format(time.RFC3339), "end_at": sl.Ends.UTC().Format(time.RFC3339)}}}}
			}
			attrs["purchasable_offer"] = []any{offer}
		}
		out["attributes"] = attrs
	}
	if inc["offers"] && it.Price.Valid {
		out["offers"] = []any{map[string]any{"marketplaceId": f.marketplace, "offerType": "B2C", "price": map[string]any{"currencyCode": "USD", "amount": it.Price.Decimal.String()}}}
	}
	if inc["fulfillmentAvailability"] {
		fa := []any{}
		if it.FBA {
			fa = append(fa, map[string]any{"fulfillmentChannelCode": "AMAZON_NA", "quantity": 12})
		} else if it.Quantity != nil {
			fa = append(fa, map[string]any{"fulfillmentChannelCode": "DEFAULT", "quantity": *it.Quantity})
		}
		out["fulfillmentAvailability"] = fa
	}
	if inc["issues"] {
		iss := []any{}
		for _, is := range it.Issues {
			iss = append(iss, map[string]any{"code": is.Code, "message": is.Message, "severity": is.Severity, "categories": []string{"INVALID_ATTRIBUTE"}})
		}
		out["issues"] = iss
	}
	return out
}
