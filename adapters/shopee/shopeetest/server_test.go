package shopeetest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every schema compiles, and names its source.
func TestSchemas(t *testing.T) {
	for _, name := range []string{"update_price", "update_stock", "update_item", "add_discount_item", "update_discount_item", "delete_discount_item", "refresh_access_token"} {
		if ok, err := schemas.Has(name + ".json"); !ok || err != nil {
			t.Errorf("%s: compiled %v: %v", name, ok, err)
		}
		raw, _ := schemaFS.ReadFile("schemas/" + name + ".json")
		if !strings.Contains(string(raw), "v2.") || !strings.Contains(string(raw), `"additionalProperties": false`) {
			t.Errorf("%s: the schema names no API reference page or allows unknown fields", name)
		}
	}
}

// send signs and sends a request by hand.
func send(t *testing.T, f *Server, method, path string, query url.Values, key, body string) (int, map[string]any) {
	t.Helper()
	ts := time.Now().Unix()
	q := url.Values{"partner_id": {strconv.FormatInt(PartnerID, 10)}, "shop_id": {strconv.FormatInt(ShopID, 10)},
		"access_token": {AccessToken}, "timestamp": {strconv.FormatInt(ts, 10)}}
	for k, v := range query {
		q[k] = v
	}
	q.Set("sign", Sign(key, PartnerID, path, ts, AccessToken, ShopID))
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL()+path+"?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	return resp.StatusCode, env
}

// The fake refuses what Shopee documents it refuses, in Shopee's error
// shape, and records it.
func TestRefusals(t *testing.T) {
	f := New(t)
	f.ExpectInvalid()
	for name, tc := range map[string]struct {
		method, path, key, body string
		query                   url.Values
		status                  int
		code                    string
	}{
		"wrong sign":      {http.MethodGet, "/api/v2/product/get_model_list", "nope", "", url.Values{"item_id": {"1"}}, 403, "error_sign"},
		"unknown field":   {http.MethodPost, "/api/v2/product/update_stock", PartnerKey, `{"item_id":1,"stock_list":[{"normal_stock":1,"seller_stock":[{"stock":1}]}]}`, nil, 400, "error_param"},
		"float stock":     {http.MethodPost, "/api/v2/product/update_stock", PartnerKey, `{"item_id":1,"stock_list":[{"seller_stock":[{"stock":1.5}]}]}`, nil, 400, "error_param"},
		"too many ids":    {http.MethodGet, "/api/v2/product/get_item_base_info", PartnerKey, "", url.Values{"item_id_list": {strings.Repeat("1,", 50) + "1"}}, 400, "error_param"},
		"status as list":  {http.MethodGet, "/api/v2/product/get_item_list", PartnerKey, "", url.Values{"offset": {"0"}, "page_size": {"10"}, "item_status": {"NORMAL,UNLIST"}}, 400, "error_param"},
		"page too large":  {http.MethodGet, "/api/v2/product/get_item_list", PartnerKey, "", url.Values{"offset": {"0"}, "page_size": {"101"}, "item_status": {"NORMAL"}}, 400, "error_param"},
		"wrong method":    {http.MethodPost, "/api/v2/product/get_item_list", PartnerKey, `{}`, nil, 400, "error_param"},
		"unknown path":    {http.MethodGet, "/api/v2/product/get_item", PartnerKey, "", nil, 404, "error_not_found"},
		"missing item id": {http.MethodGet, "/api/v2/product/get_model_list", PartnerKey, "", nil, 400, "error_param"},
	} {
		t.Run(name, func(t *testing.T) {
			before := len(f.Invalid())
			status, env := send(t, f, tc.method, tc.path, tc.query, tc.key, tc.body)
			if status != tc.status || env["error"] != tc.code || env["request_id"] == nil {
				t.Errorf("answered %d %v, want %d %s", status, env, tc.status, tc.code)
			}
			if len(f.Invalid()) != before+1 {
				t.Error("the refusal was not recorded")
			}
		})
	}
	status, env := send(t, f, http.MethodGet, "/api/v2/product/get_item_list", url.Values{"offset": {"0"}, "page_size": {"10"}, "item_status": {"NORMAL", "UNLIST"}}, PartnerKey, "")
	if status != 200 || env["error"] != "" {
		t.Errorf("a good request: %d %v", status, env)
	}
}
