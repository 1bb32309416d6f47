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
		"offset over 10000":  {get("/products/get", signed("/products/get", url.Values{"filter": {"all"}, "offset": {"10001"}}, true)), "14"},
		"date without zone":  {get("/products/get", signed("/products/get", url.Values{"filter": {"all"}, "create_after": {"2024-01-01 00:00:00"}}, true)), "17"},
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
	// Well-formed calls pass without a complaint.
	for _, p := range []url.Values{
		{"filter": {"all"}, "limit": {"50"}},
		{"filter": {"all"}, "offset": {"10000"}, "create_after": {"2010-01-01T00:00:00+0800"}, "create_before": {"2030-01-01T00:00:00+08:00"}},
	} {
		resp, err := f.Client().Do(get("/products/get", signed("/products/get", p, true)))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if errs := rec.take(); resp.StatusCode != http.StatusOK || len(errs) > 0 {
			t.Errorf("a good call %v: %d, %v", p, resp.StatusCode, errs)
		}
	}
}

// The time filters include both ends, to the millisecond, and the products
// come in created order (newest first when asked) with created_time and
// updated_time in milliseconds.
func TestFakeTimeFilters(t *testing.T) {
	f := New(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, Zone)
	for i, d := range []time.Duration{-time.Second, 0, 0, 500 * time.Millisecond, time.Second} {
		f.AddItem(Item{ItemID: int64(10 + i), Created: at.Add(d), Updated: at.Add(time.Hour + d), Skus: []Sku{{SellerSku: fmt.Sprint("S", i)}}})
	}
	list := func(p url.Values) []string {
		p.Set("filter", "all")
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.URL()+"/products/get?"+signed("/products/get", p, true).Encode(), nil)
		resp, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var env struct {
			Data struct {
				Products []struct {
					ItemID  string `json:"item_id"`
					Created string `json:"created_time"`
				} `json:"products"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range env.Data.Products {
			out = append(out, p.ItemID+"@"+p.Created)
		}
		return out
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(at.Add(d).UnixMilli(), 10) }
	edge := at.Format("2006-01-02T15:04:05-0700")
	for name, tc := range map[string]struct {
		p    url.Values
		want []string
	}{
		"after, inclusive":  {url.Values{"create_after": {edge}}, []string{"11@" + ms(0), "12@" + ms(0), "13@" + ms(500*time.Millisecond), "14@" + ms(time.Second)}},
		"before, inclusive": {url.Values{"create_before": {edge}}, []string{"10@" + ms(-time.Second), "11@" + ms(0), "12@" + ms(0)}},
		"one instant":       {url.Values{"create_after": {edge}, "create_before": {at.UTC().Format(time.RFC3339)}}, []string{"11@" + ms(0), "12@" + ms(0)}},
		"updated":           {url.Values{"update_after": {at.Add(time.Hour).Format(time.RFC3339)}, "update_before": {at.Add(time.Hour).Format(time.RFC3339)}}, []string{"11@" + ms(0), "12@" + ms(0)}},
	} {
		if got := list(tc.p); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	f.NewestFirst(true)
	if got := list(url.Values{"create_after": {edge}, "limit": {"2"}, "offset": {"1"}}); strings.Join(got, " ") != "13@"+ms(500*time.Millisecond)+" 12@"+ms(0) {
		t.Errorf("newest first: %v", got)
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
