package lazada

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFake(t)
		return adaptertest.Fixture{
			Channel: "lazada_sg", Currency: "SGD", Scale: 2,
			Open:  func(t *testing.T) adapters.Channel { return f.open(t, "", nil) },
			Seed:  func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
			Order: func(_ *testing.T, sku string, units int64) { f.Order(sku, units) },
		}
	}})
}
