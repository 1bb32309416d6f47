package amazon

import (
	"encoding/json"
	"testing"

	"github.com/accordhq/accord/adapters"
)

// Whatever getListingsItem or searchListingsItems answers, turning it
// into a listing never panics and keeps the fields sorted.
func FuzzListing(f *testing.F) {
	f.Add([]byte(`{"sku":"A","summaries":[{"marketplaceId":"ATVPDKIKX0DER","productType":"LUGGAGE","status":["BUYABLE"]}],"attributes":{"item_name":[{"value":"T","marketplace_id":"ATVPDKIKX0DER"}],"list_price":[{"value":"x"}]},"offers":[{"marketplaceId":"ATVPDKIKX0DER","offerType":"B2C","price":{"currencyCode":"USD","amount":"1.5"}}],"fulfillmentAvailability":[{"fulfillmentChannelCode":"DEFAULT","quantity":3}],"issues":[{"severity":"ERROR"}]}`))
	f.Add([]byte(`{"sku":"B","attributes":{"a":[1],"b":{"x":1},"c":[{"value":null}]}}`))
	c := &Channel{cfg: Config{MarketplaceID: "ATVPDKIKX0DER"}, name: "amazon_us", currency: "USD"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var it item
		if json.Unmarshal(raw, &it) != nil {
			return
		}
		l := c.listing(&it)
		for i := 1; i < len(l.Fields); i++ {
			if l.Fields[i-1].Name > l.Fields[i].Name {
				t.Fatalf("fields not sorted: %v", l.Fields)
			}
		}
	})
}

// Whatever the processing report says, mapping it to results never panics
// and answers one result per change.
func FuzzReportIssues(f *testing.F) {
	f.Add("purchasable_offer.our_price", "ERROR", 1)
	f.Add("", "WARNING", 0)
	f.Fuzz(func(t *testing.T, attr, severity string, n int) {
		g := &group{sku: "A", idx: []int{0, 1}, attrs: []string{"purchasable_offer", "item_name"}}
		out := make([]adapters.Result, 2)
		var names []string
		if attr != "" {
			names = []string{attr}
		}
		setIssues(g, []issue{{Code: "1", Message: "m", Severity: severity, AttributeNames: names}}, n%2 == 1, out)
		if len(out) != 2 {
			t.Fatal("results lost")
		}
	})
}
