package shopify

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFakeShop(t)
		return adaptertest.Fixture{
			Channel: "shopify", Currency: "USD", Scale: 2,
			Open:  func(t *testing.T) adapters.Channel { return f.open(t, "") },
			Seed:  func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
			Order: f.order,
		}
	}})
}
