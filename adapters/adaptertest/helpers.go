package adaptertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// Golden compares text with the golden file at path, after writing text
// there when ACCORD_UPDATE_GOLDEN is set.
func Golden(t testing.TB, path, text string) {
	t.Helper()
	if os.Getenv("ACCORD_UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (ACCORD_UPDATE_GOLDEN=1 writes it)", err)
	}
	if d := cmp.Diff(string(want), text); d != "" {
		t.Errorf("%s (-golden +got):\n%s", path, d)
	}
}
