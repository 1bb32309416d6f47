package lazada

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
)

// Whatever GetProducts answers, turning it into listings never panics,
// keeps the fields sorted and shows a compare-at only above the price.
func FuzzGetProducts(f *testing.F) {
	f.Add([]byte(`{"total_products":"10","products":[{"item_id":"180226526","attributes":{"name":"asd","preorder_days":25,"preorder":"Yes","x":null,"y":{"a":1}},"skus":[{"Status":"active","quantity":0,"SellerSku":"39817:01:01","special_to_time":"2020-02-0300:00","special_from_time":"2015-07-3100:00","special_price":9,"price":32,"SkuId":314525867,"special_to_date":"2020-02-03"}]}]}`))
	f.Add([]byte(`{"total_products":2,"products":[{"item_id":1,"skus":[{"SellerSku":"A","price":"20.00","special_price":"15.5","special_from_date":"2026-03-01","quantity":"3"},{"SellerSku":"B","Status":"deleted"}]}]}`))
	f.Add([]byte(`{"products":[{"skus":[{"SellerSku":"A","price":1e400,"quantity":3.0}]}]}`))
	c := &Channel{name: "lazada_sg", currency: "SGD", scale: 2, zone: time.FixedZone("UTC+8", 8*3600), now: clockAt(testNow)}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var data productsData
		if json.Unmarshal(raw, &data) != nil {
			return
		}
		es, err := c.entries(data.Products)
		if err != nil {
			var bad *adapters.BadResponseError
			if !errors.As(err, &bad) {
				t.Fatalf("entries failed with %T: %v", err, err)
			}
			return
		}
		for _, e := range es {
			l := e.listing
			if !slices.IsSortedFunc(l.Fields, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) }) {
				t.Fatalf("fields not sorted: %v", l.Fields)
			}
			if l.CompareAt.Valid && (!l.Price.Valid || !l.CompareAt.Decimal.GreaterThan(l.Price.Decimal)) {
				t.Fatalf("compare-at %v not above price %v", l.CompareAt, l.Price)
			}
			if l.SKU == "" {
				t.Fatal("a listing without a SKU")
			}
		}
	})
}

// Whatever the envelope says, sending classifies it as one of errors.go's
// failures, and a batch's detail never panics the mapping to results.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(`{"code":"ApiCallLimit","type":"ISV","message":"Api access frequency exceeds the limit. this ban will last 99999999999999999999 seconds.","request_id":"x"}`))
	f.Add([]byte(`{"code":501,"type":"ISP","message":"Update product failed","detail":[{"field":"Product","seller_sku":"A","message":"SELLER_SKU_INVALID"},{"field":"Product2","message":"x"}]}`))
	f.Add([]byte(`{"code":"IllegalAccessToken"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env envelope
		if json.Unmarshal(raw, &env) != nil || env.Code == "0" || env.Code == "" {
			return
		}
		err := classify(opUpdatePriceQuantity, &env)
		var (
			te  *adapters.ThrottledError
			tmp *adapters.TemporaryError
			rej *adapters.RejectedError
			au  *adapters.AuthError
		)
		if !errors.As(err, &te) && !errors.As(err, &tmp) && !errors.As(err, &rej) && !errors.As(err, &au) && !errors.Is(err, errExpiredToken) {
			t.Fatalf("classify = %T %v", err, err)
		}
		if te != nil && te.RetryAfter <= 0 {
			t.Fatalf("a throttle without a wait: %v", te)
		}
	})
}

// Whatever the token service answers with code 0, adopting it never
// panics and never keeps an empty access token.
func FuzzRefreshAnswer(f *testing.F) {
	f.Add([]byte(`{"code":"0","access_token":"a","refresh_token":"r","expires_in":259200,"refresh_expires_in":"259200","country":"sg"}`))
	f.Add([]byte(`{"code":"0","access_token":"","expires_in":-1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env envelope
		if json.Unmarshal(raw, &env) != nil {
			return
		}
		env.raw = raw
		c := &Channel{name: "lazada_sg", log: discard{}}
		s := &tokenSource{c: c, refresh: "old"}
		if err := s.adopt(&env, testNow); err == nil && s.access == "" {
			t.Fatal("adopted an empty access token")
		}
	})
}

type discard struct{}

func (discard) Info(string, ...any) {}
func (discard) Warn(string, ...any) {}
