package shopify

import (
	"fmt"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/shopify/shopifytest"
)

// fakeShop is the fake store of shopifytest, with the adapter opened on it.
type fakeShop struct {
	*shopifytest.Store
	token string
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
	setup := setupOf(tt, fmt.Sprintf("shop = \"northwind-audio\"\naccess_token = env(\"SHOPIFY_ACCESS_TOKEN\")\nendpoint = %q\n%s", f.URL(), extra),
		map[string]string{"SHOPIFY_ACCESS_TOKEN": f.token})
	setup.HTTPClient = f.Client()
	setup.Now = time.Now
	ch, err := OpenChannel(setup)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
