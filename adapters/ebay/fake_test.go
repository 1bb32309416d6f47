package ebay

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/ebay/ebaytest"
)

var testEnv = ebaytest.Env()

// setupFor is the setup of a channel ebay_us with the given config block.
func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	return adaptertest.Setup(t, "ebay_us", "USD", 2, config, testEnv)
}

// fake is the fake eBay of ebaytest and the adapters opened on it.
type fake struct {
	*ebaytest.Server
	mu     sync.Mutex
	opened []*Channel
}

func newFake(t testing.TB) *fake {
	return &fake{Server: ebaytest.New(t)}
}

func (f *fake) open(t testing.TB) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(""))
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.opened = append(f.opened, c)
	f.mu.Unlock()
	return c
}

// order places an order on the fake and delivers its notification to every
// adapter opened on it, as accord's daemon would.
func (f *fake) order(t testing.TB, sku string, units int64) {
	t.Helper()
	h, body := f.OrderHook(sku, units)
	f.mu.Lock()
	opened := append([]*Channel(nil), f.opened...)
	f.mu.Unlock()
	for _, c := range opened {
		r := httptest.NewRequestWithContext(t.Context(), "POST", "/api/hooks/channel/ebay_us", strings.NewReader(string(body)))
		r.Header = h.Clone()
		if _, err := c.Receive(t.Context(), r, body); err != nil {
			t.Errorf("Receive: %v", err)
		}
	}
}
