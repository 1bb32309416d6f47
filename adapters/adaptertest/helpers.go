package adaptertest

import (
	"context"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
)

// ObserveAll reads the listings of skus (every listing when nil) from ch,
// by SKU; an error fails the test.
func ObserveAll(t testing.TB, ch adapters.Channel, skus []string) map[string]adapters.Listing {
	t.Helper()
	out := map[string]adapters.Listing{}
	if err := ch.Observe(context.Background(), skus, func(page []adapters.Listing) error {
		for _, l := range page {
			out[l.SKU] = l
		}
		return nil
	}); err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return out
}

// NoSecret fails the test when err's text quotes one of secrets (a
// credential, an access token's prefix).
func NoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error quotes a secret: %v", err)
		}
	}
}
