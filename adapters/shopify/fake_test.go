package shopify

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/shopify/shopifytest"
)

// fakeShop is the fake store of shopifytest, with the adapter opened on it.
type fakeShop struct {
	*shopifytest.Store
	token string

	mu     sync.Mutex
	opened []*Channel
}

func newFakeShop(t testing.TB) *fakeShop {
	t.Helper()
	return &fakeShop{Store: shopifytest.New(t), token: shopifytest.Token}
}

// open opens an adapter on the fake.
func (f *fakeShop) open(t testing.TB, extra string) *Channel {
	t.Helper()
	tt, ok := t.(*testing.T)
	if !ok {
		t.Fatal("open needs a *testing.T")
	}
	setup := setupOf(tt, fmt.Sprintf("shop = \"northwind-audio\"\naccess_token = env(\"SHOPIFY_ACCESS_TOKEN\")\nwebhook_secret = env(\"SHOPIFY_WEBHOOK_SECRET\")\nendpoint = %q\n%s", f.URL(), extra),
		map[string]string{"SHOPIFY_ACCESS_TOKEN": f.token, "SHOPIFY_WEBHOOK_SECRET": shopifytest.WebhookSecret})
	setup.HTTPClient = f.Client()
	setup.Now = time.Now
	ch, err := OpenChannel(setup)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.opened = append(f.opened, ch)
	f.mu.Unlock()
	return ch
}

// order lands an order on the fake and delivers its webhook to every
// adapter opened on it, as the daemon's /api/hooks/channel/NAME would.
func (f *fakeShop) order(t *testing.T, sku string, units int64) {
	t.Helper()
	h, body := f.OrderHook(sku, units)
	f.mu.Lock()
	opened := slices.Clone(f.opened)
	f.mu.Unlock()
	for _, ch := range opened {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/hooks/channel/shopify", bytes.NewReader(body))
		r.Header = h.Clone()
		if _, err := ch.Receive(t.Context(), r, body); err != nil {
			t.Errorf("Receive: %v", err)
		}
	}
}
