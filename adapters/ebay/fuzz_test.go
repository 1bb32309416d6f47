package ebay

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
)

func fuzzChannel() *Channel {
	return &Channel{cfg: Config{MarketplaceID: "EBAY_US"}, name: "ebay_us", currency: "USD", scale: 2, now: func() time.Time { return time.Unix(0, 0) }}
}

// Whatever getInventoryItem and getOffers answer, turning them into a
// listing never panics and keeps its fields sorted.
func FuzzListing(f *testing.F) {
	f.Add([]byte(`{"sku":"A","availability":{"shipToLocationAvailability":{"quantity":3}},"product":{"title":"T","brand":"","aspects":{"Brand":["B"]},"ean":["1"]}}`),
		[]byte(`{"offerId":"1","sku":"A","marketplaceId":"EBAY_US","format":"FIXED_PRICE","status":"PUBLISHED","availableQuantity":2,"pricingSummary":{"price":{"currency":"USD","value":"1.5"},"originalRetailPrice":{"currency":"USD","value":"x"}}}`))
	f.Add([]byte(`{"sku":"B","product":{"aspects":"Brand: B"}}`), []byte(`{"offerId":"2","listing":{"listingStatus":"OUT_OF_STOCK"},"pricingSummary":{"minimumAdvertisedPrice":{"value":"2"}}}`))
	c := fuzzChannel()
	f.Fuzz(func(t *testing.T, rawItem, rawOffer []byte) {
		var it inventoryItem
		var o offer
		if json.Unmarshal(rawItem, &it) != nil || json.Unmarshal(rawOffer, &o) != nil {
			return
		}
		l, err := c.listing(&it, &o)
		if err != nil {
			if !isA[*adapters.BadResponseError](err) {
				t.Fatalf("a %T, want a *BadResponseError", err)
			}
			return
		}
		if !slices.IsSortedFunc(l.Fields, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) }) {
			t.Fatalf("fields not sorted: %v", l.Fields)
		}
		_ = c.pick([]offer{o, o})
	})
}

// Whatever a notification carries, reading it, its signature header and
// the order it names never panics; an order's events are the lines with a
// SKU and units.
func FuzzNotification(f *testing.F) {
	f.Add([]byte(`{"metadata":{"topic":"ORDER_CONFIRMATION"},"notification":{"notificationId":"1","eventDate":"2026-01-01T00:00:00.000Z","data":{"orderId":"27-1","lineItemId":"9"}}}`),
		"eyJhbGciOiJlY2RzYSIsImtpZCI6IjEiLCJzaWduYXR1cmUiOiJNRVVDIiwiZGlnZXN0IjoiU0hBMSJ9",
		[]byte(`{"orderId":"27-1","creationDate":"2026-01-01T00:00:00.000Z","lineItems":[{"lineItemId":"9","sku":"A","quantity":2},{"sku":"","quantity":1}]}`))
	f.Add([]byte(`{"metadata":{"topic":""}}`), "", []byte(`{"lineItems":[{"quantity":-1,"sku":"B"}]}`))
	c := fuzzChannel()
	f.Fuzz(func(t *testing.T, body []byte, head string, rawOrder []byte) {
		if n, err := parseNotification(body); err == nil {
			var d orderData
			_ = json.Unmarshal(n.Notification.Data, &d)
		}
		_, _ = parseSignature(head)
		_, _ = parseKey("ECDSA", "SHA1", head)
		var o order
		if json.Unmarshal(rawOrder, &o) != nil {
			return
		}
		for _, e := range c.eventsOf(&o, "", "") {
			if e.SKU == "" || e.Units <= 0 || e.Kind != adapters.EventOrder || e.Channel != "ebay_us" {
				t.Fatalf("event %+v", e)
			}
		}
	})
}

// Whatever a bulk update answers, each SKU gets an outcome: nil only for a
// status of 2xx about it.
func FuzzBulkAnswer(f *testing.F) {
	f.Add([]byte(`{"responses":[{"sku":"A","offerId":"1","statusCode":200},{"sku":"B","statusCode":400,"errors":[{"errorId":25709,"message":"Invalid value"}]}]}`), "A")
	f.Add([]byte(`{"responses":[{"offerId":"1","statusCode":500},{"sku":"A","statusCode":207}]}`), "A")
	f.Fuzz(func(t *testing.T, raw []byte, sku string) {
		var ans bulkAnswer
		if json.Unmarshal(raw, &ans) != nil {
			return
		}
		e := &entry{g: &group{sku: sku, offerID: "1"}, req: priceQuantity{SKU: sku}}
		err := entryResult(e, &ans)
		ok := false
		for _, r := range ans.Responses {
			if r.SKU == sku || (r.SKU == "" && r.OfferID == "1") {
				ok = true
				if r.StatusCode < 200 || r.StatusCode >= 300 {
					ok = false
					break
				}
			}
		}
		if (err == nil) != ok {
			t.Fatalf("outcome %v for %s", err, raw)
		}
	})
}

// Whatever next URL an answer gives, the next page stays within limits.
func FuzzNextPage(f *testing.F) {
	f.Add("https://api.ebay.com/sell/inventory/v1/inventory_item?offset=200&limit=200")
	f.Add("https://evil.example/?offset=-1&limit=100000")
	f.Fuzz(func(t *testing.T, next string) {
		q, ok := nextPage(next)
		if !ok {
			return
		}
		if len(q) != 2 || q.Get("offset") == "" || q.Get("limit") == "" {
			t.Fatalf("next page %v", q)
		}
	})
}
