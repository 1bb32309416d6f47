package ebaytest

import "testing"

// The schemas compile and hold the bodies the document describes, closed
// to fields it lacks.
func TestSchemas(t *testing.T) {
	for _, tc := range []struct {
		schema, body string
		ok           bool
	}{
		{SchemaBulkPriceQuantity, `{"requests":[{"sku":"A","shipToLocationAvailability":{"quantity":3},"offers":[{"offerId":"1","availableQuantity":3,"price":{"currency":"USD","value":"1.00"}}]}]}`, true},
		{SchemaBulkPriceQuantity, `{"requests":[]}`, false},
		{SchemaBulkPriceQuantity, `{"requests":[{"sku":"A","offers":[{"price":{"currency":"USD","value":"1.00"}}]}]}`, false},
		{SchemaInventoryItem, `{"product":{"title":"T","aspects":{"Brand":["B"]},"ean":["1"]},"availability":{"shipToLocationAvailability":{"quantity":1}},"condition":"NEW"}`, true},
		{SchemaInventoryItem, `{"sku":"A","product":{"title":"T"}}`, false},
		{SchemaInventoryItem, `{"availability":{"shipToLocationAvailability":{"quantity":1,"allocationByFormat":{"auction":0}}}}`, false},
		{SchemaOffer, `{"availableQuantity":1,"pricingSummary":{"price":{"currency":"USD","value":"1.00"},"originalRetailPrice":{"currency":"USD","value":"2.00"}},"listingPolicies":{"fulfillmentPolicyId":"1"}}`, true},
		{SchemaOffer, `{"offerId":"1"}`, false},
		{SchemaBulkGetInventoryItem, `{"requests":[{"sku":"A"}]}`, true},
		{SchemaBulkGetInventoryItem, `{"requests":[{"sku":1}]}`, false},
	} {
		err := Validate(tc.schema, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: %v, want ok=%v", tc.schema, tc.body, err, tc.ok)
		}
	}
}
