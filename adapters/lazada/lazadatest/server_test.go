package lazadatest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps the fake's complaints instead of
// failing the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.errs
	r.errs = nil
	return out
}

// signed is a well-formed call of api with params.
func signed(api string, params url.Values, token bool) url.Values {
	p := url.Values{}
	for k, v := range params {
		p[k] = v
	}
	p.Set("app_key", AppKey)
	p.Set("sign_method", "sha256")
	p.Set("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	if token {
		p.Set("access_token", AccessToken)
	}
	p.Set("sign", sign(api, p))
	return p
}

// Every request outside Lazada's definition is answered 400 with Lazada's
// envelope and fails the test that sent it; a well-formed one passes.
func TestFakeRefusesBadRequests(t *testing.T) {
	rec := &recorder{TB: t}
	f := New(rec)
	good := `<Request><Product><Skus><Sku><SellerSku>A</SellerSku><Quantity>1</Quantity></Sku></Skus></Product></Request>`
	post := func(api string, p url.Values) *http.Request {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.URL()+api, strings.NewReader(p.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
		return req
	}
	get := func(api string, p url.Values) *http.Request {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.URL()+api+"?"+p.Encode(), nil)
		return req
	}
	badSign := signed("/products/get", url.Values{"filter": {"all"}}, true)
	badSign.Set("sign", strings.ToLower(badSign.Get("sign")))
	stale := signed("/products/get", url.Values{"filter": {"all"}}, true)
	stale.Set("timestamp", strconv.FormatInt(time.Now().Add(-3*time.Hour).UnixMilli(), 10))
	stale.Set("sign", sign("/products/get", stale))
	jsonBody := post("/product/price_quantity/update", signed("/product/price_quantity/update", url.Values{"payload": {good}}, true))
	jsonBody.Header.Set("Content-Type", "application/json")
	for name, tc := range map[string]struct {
		req  *http.Request
		code string
	}{
		"wrong signature":    {get("/products/get", badSign), "IncompleteSignature"},
		"stale timestamp":    {get("/products/get", stale), "InvalidTimestamp"},
		"wrong method":       {get("/product/price_quantity/update", signed("/product/price_quantity/update", url.Values{"payload": {good}}, true)), "InvalidRequestMethod"},
		"unknown parameter":  {get("/products/get", signed("/products/get", url.Values{"filter": {"all"}, "page": {"2"}}, true)), "InvalidParameter"},
		"no filter":          {get("/products/get", signed("/products/get", url.Values{}, true)), "MissingParameter"},
		"no access token":    {get("/products/get", signed("/products/get", url.Values{"filter": {"all"}}, false)), "MissingParameter"},
		"limit over 50":      {get("/products/get", signed("/products/get", url.Values{"filter": {"all"}, "limit": {"51"}}, true)), "19"},
		"sku list over 100":  {get("/products/get", signed("/products/get", url.Values{"filter": {"all"}, "sku_seller_list": {`[` + strings.Repeat(`"A",`, 100) + `"B"]`}}, true)), "70"},
		"json body":          {jsonBody, "InvalidParameter"},
		"unknown element":    {post("/product/price_quantity/update", signed("/product/price_quantity/update", url.Values{"payload": {strings.Replace(good, "<Quantity>", "<Stock>1</Stock><Quantity>", 1)}}, true)), "5"},
		"negative quantity":  {post("/product/price_quantity/update", signed("/product/price_quantity/update", url.Values{"payload": {strings.Replace(good, ">1<", ">-1<", 1)}}, true)), "5"},
		"51 SKUs":            {post("/product/price_quantity/update", signed("/product/price_quantity/update", url.Values{"payload": {`<Request><Product><Skus>` + strings.Repeat(`<Sku><SellerSku>A</SellerSku><Quantity>1</Quantity></Sku>`, 51) + `</Skus></Product></Request>`}}, true)), "5"},
		"sale without date":  {post("/product/price_quantity/update", signed("/product/price_quantity/update", url.Values{"payload": {strings.Replace(good, "<Quantity>1</Quantity>", "<SalePrice>1.00</SalePrice>", 1)}}, true)), "5"},
		"not xml":            {post("/product/update", signed("/product/update", url.Values{"payload": {`{"Request":{}}`}}, true)), "5"},
		"refresh at gateway": {post("/auth/token/refresh", signed("/auth/token/refresh", url.Values{"refresh_token": {RefreshToken}}, false)), "InvalidApiPath"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := f.Client().Do(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			raw, _ := io.ReadAll(resp.Body)
			var env envelope
			if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != http.StatusBadRequest || env.Code != tc.code || env.Type != "ISV" || env.RequestID == "" {
				t.Errorf("answered %d %s, want 400 with code %s", resp.StatusCode, raw, tc.code)
			}
			if errs := rec.take(); len(errs) == 0 {
				t.Error("the fake did not fail the test that sent it")
			}
		})
	}
	// A well-formed call passes without a complaint.
	resp, err := f.Client().Do(get("/products/get", signed("/products/get", url.Values{"filter": {"all"}, "limit": {"50"}}, true)))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if errs := rec.take(); resp.StatusCode != http.StatusOK || len(errs) > 0 {
		t.Errorf("a good call: %d, %v", resp.StatusCode, errs)
	}
}

func TestPayloadJSON(t *testing.T) {
	doc, err := PayloadJSON(`<?xml version="1.0" encoding="UTF-8"?><Request><Product><ItemId>1</ItemId><Attributes><name>A &amp; B</name></Attributes><Skus><Sku><SkuId>2</SkuId></Sku></Skus></Product></Request>`)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Request":{"Product":{"Attributes":{"name":"A \u0026 B"},"ItemId":"1","Skus":{"Sku":[{"SkuId":"2"}]}}}}`; string(raw) != want {
		t.Errorf("PayloadJSON = %s, want %s", raw, want)
	}
	for _, bad := range []string{
		`<Request a="1"/>`, `<Request><X>1</X><X>2</X></Request>`, `<Request>t<X/></Request>`, `<Request>`, ``, `<A/><B/>`,
	} {
		if _, err := PayloadJSON(bad); err == nil {
			t.Errorf("PayloadJSON(%q) took it", bad)
		}
	}
}

// The token service answers the documented shape and rotates the refresh
// token.
func TestFakeRefresh(t *testing.T) {
	f := New(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.AuthURL()+"/auth/token/refresh", strings.NewReader(signed("/auth/token/refresh", url.Values{"refresh_token": {RefreshToken}}, false).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var ans map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"access_token", "refresh_token", "expires_in", "refresh_expires_in", "country", "account", "code"} {
		if _, ok := ans[k]; !ok {
			t.Errorf("the refresh answer lacks %s: %v", k, ans)
		}
	}
	if f.CurrentRefreshToken() == RefreshToken || ans["refresh_token"] != f.CurrentRefreshToken() {
		t.Errorf("refresh token not rotated: %v", ans)
	}
}

// Whatever a payload holds, reading it never panics.
func FuzzPayloadJSON(f *testing.F) {
	f.Add(`<Request><Product><Skus><Sku><SellerSku>A</SellerSku><Quantity>1</Quantity></Sku></Skus></Product></Request>`)
	f.Add(`<Request><Product><Attributes><name><![CDATA[<b>x</b>]]></name></Attributes></Product></Request>`)
	f.Fuzz(func(_ *testing.T, payload string) {
		var out pqPayload
		_ = checkPayload(schemaPriceQuantity, payload, &out)
	})
}
