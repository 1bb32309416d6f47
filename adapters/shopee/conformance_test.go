package shopee

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFake(t)
		return adaptertest.Fixture{
			Channel: "shopee_sg", Currency: shopeetest.Currency, Scale: 2,
			Open: func(t *testing.T) adapters.Channel { return f.open(t) },
			Seed: func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
		}
	}})
}
