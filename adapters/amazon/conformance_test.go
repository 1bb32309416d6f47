package amazon

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// harness runs the suite against a fresh fake per fixture, with the given
// extra config (a feed threshold).
func harness(extra string) adaptertest.Harness {
	return adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFake(t)
		return adaptertest.Fixture{
			Channel: "amazon_us", Currency: "USD", Scale: 2,
			Open:    func(t *testing.T) adapters.Channel { return f.open(t, extra) },
			Seed:    func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
			Catalog: func(_ *testing.T, l *adapters.Listing) { f.ProductFor(l) },
		}
	}}
}

// Small plans: one patchListingsItem per listing.
func TestConformance(t *testing.T) {
	adaptertest.Run(t, harness(""))
}

// Every plan as a JSON_LISTINGS_FEED, confirmed later.
func TestConformanceFeed(t *testing.T) {
	adaptertest.Run(t, harness("feed_threshold = 0\n"))
}
