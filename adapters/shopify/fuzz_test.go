package shopify

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/accordhq/accord/adapters"
)

func fuzzChannel() *Channel {
	b := adapters.NewBudgets(nil).For("fuzz", adapters.Unlimited, adapters.Unlimited)
	return &Channel{name: "shopify", currency: "USD", scale: 2, bulkOver: bulkOver, log: slog.New(slog.DiscardHandler), c: &client{budget: b}}
}

// An answer from the wire, whatever its bytes, is a page of variants or an
// error: never a panic.
func FuzzDecodeVariants(f *testing.F) {
	f.Add([]byte(`{"data":{"productVariants":{"nodes":[{"id":"gid://shopify/ProductVariant/1","sku":"A","price":"1.00","compareAtPrice":null,"barcode":null,"inventoryItem":{"id":"gid://shopify/InventoryItem/1","inventoryLevel":{"quantities":[{"name":"available","quantity":3}]}},"product":{"id":"gid://shopify/Product/1","title":"T","descriptionHtml":"","status":"ACTIVE"}}],"pageInfo":{"hasNextPage":false,"endCursor":null}}},"extensions":{"cost":{"requestedQueryCost":5,"actualQueryCost":5,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":995,"restoreRate":50}}}}`))
	f.Add([]byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":500,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":10,"restoreRate":50}}}}`))
	f.Add([]byte(`<!DOCTYPE html><html></html>`))
	f.Add([]byte(`{"data":{"productVariants":{"nodes":[{"id":`))
	f.Fuzz(func(_ *testing.T, raw []byte) {
		ch := fuzzChannel()
		var out variantsPage
		if err := ch.c.decode("Variants", false, &http.Response{StatusCode: http.StatusOK}, raw, &out); err != nil {
			return
		}
		for i := range out.ProductVariants.Nodes {
			_, _, _ = ch.listing(&out.ProductVariants.Nodes[i])
		}
	})
}

// A bulk result, whatever its bytes, is pages of listings or an error.
func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"gid://shopify/ProductVariant/1","sku":"A","price":"1.00","inventoryItem":{"id":"gid://shopify/InventoryItem/1","inventoryLevel":null},"product":{"id":"gid://shopify/Product/1","title":"T","descriptionHtml":"","status":"DRAFT"}}` + "\n"))
	f.Add([]byte("{}\n{\"id\":\"x\",\"sku\":\"B\",\"price\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ch := fuzzChannel()
		_ = ch.pagesOfJSONL(context.Background(), bytes.NewReader(raw), func(ls []adapters.Listing) error {
			for _, l := range ls {
				if l.SKU == "" {
					t.Errorf("a listing without a SKU: %+v", l)
				}
			}
			return nil
		})
	})
}
