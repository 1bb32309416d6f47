package walmart

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"sync"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// harness runs the suite against a fresh fake per fixture, with the given
// extra config (a feed threshold). Order delivers the fake's webhook to
// every adapter the fixture opened, as the daemon would.
func harness(extra string) adaptertest.Harness {
	return adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		f := newFake(t)
		var mu sync.Mutex
		var opened []*Channel
		return adaptertest.Fixture{
			Channel: "walmart_us", Currency: "USD", Scale: 2,
			Open: func(t *testing.T) adapters.Channel {
				c := f.open(t, extra)
				mu.Lock()
				opened = append(opened, c)
				mu.Unlock()
				return c
			},
			Seed: func(_ *testing.T, ls []adapters.Listing) { f.Seed(ls) },
			Order: func(t *testing.T, sku string, units int64) {
				h, body := f.OrderHook(sku, units)
				mu.Lock()
				defer mu.Unlock()
				for _, c := range opened {
					waitWatching(c)
					r, err := http.NewRequestWithContext(context.Background(), "POST", "/api/hooks/channel/walmart_us", bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					r.Header = h.Clone()
					if _, err := c.Receive(r.Context(), r, body); err != nil {
						t.Fatalf("Receive: %v", err)
					}
				}
			},
		}
	}}
}

// waitWatching gives a Watch just started on c its moment to begin, so
// that an order is not placed before anyone listens (a bounded yield, not
// a sleep on a timer).
func waitWatching(c *Channel) {
	for i := 0; i < 10_000 && c.watching.Load() == 0; i++ {
		runtime.Gosched()
	}
}

// Small plans: one call per SKU and kind (a title by feed).
func TestConformance(t *testing.T) {
	adaptertest.Run(t, harness(""))
}

// Every plan's quantities and prices by feed, confirmed later.
func TestConformanceFeed(t *testing.T) {
	adaptertest.Run(t, harness("feed_threshold = 0\n"))
}
