package ebay

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// harness runs the suite against a fresh fake per fixture.
func harness(strict bool) adaptertest.Harness {
	return adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFake(t)
		f.SetStrict(strict)
		return adaptertest.Fixture{
			Channel: "ebay_us", Currency: "USD", Scale: 2,
			Open:  func(t *testing.T) adapters.Channel { return f.open(t) },
			Seed:  func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
			Order: func(t *testing.T, sku string, units int64) { f.order(t, sku, units) },
		}
	}}
}

// bulkUpdatePriceQuantity taking up to 25 SKUs a call, as its request
// schema says.
func TestConformance(t *testing.T) {
	adaptertest.Run(t, harness(false))
}

// bulkUpdatePriceQuantity taking one SKU a call, as its description says.
func TestConformanceOneSKUPerCall(t *testing.T) {
	adaptertest.Run(t, harness(true))
}
