package walmart

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
)

// Whatever a notification says, parsing it never panics, and every event
// names a SKU and a kind.
func FuzzNotification(f *testing.F) {
	f.Add([]byte(`{"source":{"eventType":"PO_CREATED","eventTime":"2026-03-01T10:00:00Z"},"payload":{"orderLines":[{"sku":"A","quantity":{"measurementValue":"2"}}]}}`))
	f.Add([]byte(`{"source":{"eventType":"ORDER_UPDATES","eventTime":1},"payload":{"subEventType":"PO_CREATED","order":{"orderLines":[{"sku":"A","quantity":{"measurementValue":1e99}}]}}}`))
	f.Add([]byte(`{"source":{"eventType":"OFFER_UNPUBLISHED"},"payload":{"sku":"B"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		evs, err := parseNotification("w", raw)
		if err != nil {
			return
		}
		for _, e := range evs {
			if e.SKU == "" || (e.Kind != adapters.EventOrder && e.Kind != adapters.EventListing) || (e.Kind == adapters.EventOrder && e.Units <= 0) {
				t.Fatalf("event %+v", e)
			}
		}
	})
}

// Whatever getAllItems and getPromotionalPrices answer, turning them into
// a listing never panics and keeps the fields sorted.
func FuzzListing(f *testing.F) {
	f.Add([]byte(`{"sku":"A","gtin":"00886859944807","productName":"T","publishedStatus":"UNPUBLISHED","price":{"currency":"USD","amount":59.99}}`),
		[]byte(`{"payload":{"pricingList":{"pricing":[{"currentPriceType":"BASE","currentPrice":{"value":{"amount":4}},"comparisonPrice":{"value":{"amount":5}}},{"currentPriceType":"REDUCED","comparisonPrice":{"value":{"amount":9}},"effectiveDate":0,"expirationDate":99999999999999}]}}}`))
	f.Add([]byte(`{"sku":"B","price":{"amount":"x"}}`), []byte(`{}`))
	c := &Channel{name: "walmart_us", currency: "USD", now: func() time.Time { return time.Unix(1700000000, 0) }}
	f.Fuzz(func(t *testing.T, rawItem, rawPromo []byte) {
		var it item
		if json.Unmarshal(rawItem, &it) != nil {
			return
		}
		l, err := c.listing(context.Background(), &it, adapters.Quantity{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(l.Fields); i++ {
			if l.Fields[i-1].Name > l.Fields[i].Name {
				t.Fatalf("fields not sorted: %v", l.Fields)
			}
		}
		var pp promoPrices
		if json.Unmarshal(rawPromo, &pp) == nil {
			_ = compareAt(&pp, c.now())
			_, _ = basePrice(&pp)
		}
	})
}

// Whatever a feed's status says, reading it never panics and answers one
// result a change.
func FuzzFeedStatus(f *testing.F) {
	f.Add([]byte(`{"feedStatus":"PROCESSED","itemsReceived":2,"itemDetails":{"itemIngestionStatus":[{"sku":"A","ingestionStatus":"SUCCESS"},{"sku":"B","ingestionStatus":"DATA_ERROR","ingestionErrors":{"ingestionError":[{"type":"DATA_ERROR","code":"E","description":"d"}]}}]}}`))
	f.Add([]byte(`{"feedStatus":"INPROGRESS"}`))
	f.Add([]byte(`{"feedStatus":"ERROR","ingestionErrors":{"ingestionError":[{"code":"X"}]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var st feedStatus
		if json.Unmarshal(raw, &st) != nil {
			return
		}
		res := &feedResult{bySKU: map[string]itemStatus{}}
		if res.add(&st, 0) != nil {
			return
		}
		for _, sku := range []string{"A", "B", "C"} {
			r := res.result("inventory:F", "F", sku)
			if (r.Err == nil) == (r.Submission == "") && r.Err != nil {
				t.Fatalf("a result with both an error and a submission: %+v", r)
			}
		}
	})
}
