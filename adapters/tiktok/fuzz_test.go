package tiktok

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// Whatever a webhook body holds, parsing it never panics, and a body it
// takes has a type.
func FuzzParseHook(f *testing.F) {
	f.Add([]byte(`{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}`))
	f.Add([]byte(`{"type":15,"data":{"product_id":"1729"}}`))
	f.Add([]byte(`{"type":1,"data":null}`))
	f.Add([]byte(`{"type":"1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, _, err := parseHook(body)
		if err == nil && h.Type == 0 {
			t.Fatal("a delivery without a type was taken")
		}
	})
}

// Whatever a product search and a product read answer, turning them into
// listings never panics, keeps the fields sorted and keys every listing by
// a seller SKU.
func FuzzListings(f *testing.F) {
	f.Add([]byte(`{"products":[{"id":"1","title":"T","status":"ACTIVATE","skus":[{"id":"2","seller_sku":"A","price":{"currency":"USD","tax_exclusive_price":"1.50","sale_price":"1.60"},"inventory":[{"warehouse_id":"W","quantity":3}],"list_price":{"amount":"2","currency":"USD"}}]}],"next_page_token":"x"}`),
		[]byte(`{"id":"1","description":"d","skus":[{"id":"2","identifier_code":{"code":"123","type":"GTIN"}}]}`))
	f.Add([]byte(`{"products":[{"id":"1","skus":[{"seller_sku":"B","price":{"tax_exclusive_price":"x"}}]}]}`), []byte(`{"skus":[{"id":"","identifier_code":{"code":"1","type":"PRICE"}}]}`))
	c := &Channel{cfg: Config{WarehouseID: "W"}, name: "tiktok_us", currency: "USD", log: adapters.Setup{}.Logger()}
	f.Fuzz(func(t *testing.T, search, detail []byte) {
		var res searchData
		var d product
		if json.Unmarshal(search, &res) != nil || json.Unmarshal(detail, &d) != nil {
			return
		}
		for i := range res.Products {
			ls, err := c.listings(&res.Products[i], &d)
			if err != nil {
				continue
			}
			for _, l := range ls {
				if l.SKU == "" {
					t.Fatal("a listing without a SKU")
				}
				for j := 1; j < len(l.Fields); j++ {
					if l.Fields[j-1].Name > l.Fields[j].Name {
						t.Fatalf("fields not sorted: %v", l.Fields)
					}
				}
				for _, fl := range l.Fields {
					if adapters.Reserved(fl.Name) {
						t.Fatalf("a reserved field name: %s", fl.Name)
					}
				}
			}
		}
	})
}

// Whatever an order read answers, its events never panic and count units.
func FuzzOrderEvents(f *testing.F) {
	f.Add([]byte(`{"orders":[{"id":"9","status":"AWAITING_SHIPMENT","create_time":1700000000,"line_items":[{"id":"1","sku_id":"2","seller_sku":"A"},{"id":"3","sku_id":"2","seller_sku":"A"}]}]}`), false)
	f.Add([]byte(`{"orders":[{"id":"9","line_items":[{"seller_sku":""}]}]}`), true)
	c := &Channel{name: "tiktok_us", log: adapters.Setup{}.Logger()}
	f.Fuzz(func(t *testing.T, raw []byte, cancelled bool) {
		var res struct {
			Orders []order `json:"orders"`
		}
		if json.Unmarshal(raw, &res) != nil {
			return
		}
		for _, e := range c.eventsOf(res.Orders, "9", cancelled, time.Unix(1, 0)) {
			if e.SKU == "" || (e.Kind == adapters.EventOrder && e.Units < 1) {
				t.Fatalf("event %+v", e)
			}
		}
	})
}

// Whatever a failed answer holds, classifying it never panics and gives
// one of errors.go's failures.
func FuzzClassify(f *testing.F) {
	f.Add(401, []byte(`{"code":105002,"message":"Expired credentials"}`))
	f.Add(429, []byte(`{"code":36009002,"message":"Too many requests"}`))
	f.Add(502, []byte(`<html>Bad Gateway</html>`))
	f.Add(200, []byte(`{"code":12052230,"message":"Invalid price","data":{"errors":[]}}`))
	c := &Channel{}
	bucket := adapters.NewBucket(adapters.Unlimited, nil)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		ans := &apikit.Answer{Status: status, Header: http.Header{}, Body: body}
		var env envelope
		jsonErr := json.Unmarshal(body, &env)
		if jsonErr == nil && env.Code == 0 && ans.OK() {
			return // a success
		}
		_, err := c.classify(opSearchProducts, ans, env, jsonErr, bucket)
		var rej *adapters.RejectedError
		if adapters.ReasonOf(err) == adapters.ReasonFailed && !errors.As(err, &rej) {
			t.Fatalf("%d %q classified as %v (%T)", status, body, err, err)
		}
	})
}
