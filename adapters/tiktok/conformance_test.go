package tiktok

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFake(t)
		var opened []*Channel
		return adaptertest.Fixture{
			Channel: "tiktok_us", Currency: "USD", Scale: 2,
			Open: func(t *testing.T) adapters.Channel {
				c := f.open(t)
				opened = append(opened, c)
				return c
			},
			Seed: func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
			// An order on the fake, its webhook delivered to every adapter
			// opened on it, as the daemon would.
			Order: func(t *testing.T, sku string, units int64) {
				h, body := f.OrderHook(sku, units)
				for _, c := range opened {
					r := httptest.NewRequestWithContext(t.Context(), "POST", "/api/hooks/channel/tiktok_us", strings.NewReader(string(body)))
					r.Header = h.Clone()
					if _, err := c.Receive(t.Context(), r, body); err != nil {
						t.Errorf("Receive: %v", err)
					}
				}
			},
		}
	}})
}
