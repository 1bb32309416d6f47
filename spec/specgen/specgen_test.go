package specgen_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
	"github.com/accordhq/accord/spec/specgen"
)

// TestGeneratedSpecIsValid keeps the benchmark spec honest: at any size it
// must load and validate without an error, or the benchmarks would measure
// a spec full of mistakes.
func TestGeneratedSpecIsValid(t *testing.T) {
	for _, channels := range []int{1, 3, 6} {
		dir := t.TempDir()
		if err := specgen.Write(dir, specgen.Options{SKUs: 2000, Channels: channels, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		s, diags := spec.LoadDir(dir, spec.Options{Types: builtin.Registry()})
		if diags.HasErrors() {
			t.Fatalf("%d channels: %s", channels, diags.Error())
		}
		if len(s.Products) != 2000 || len(s.Channels) != channels {
			t.Fatalf("%d products and %d channels, want 2000 and %d", len(s.Products), len(s.Channels), channels)
		}
		for _, f := range derive.Check(s, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
			if f.Severity == derive.Error {
				t.Errorf("%d channels: %s %s %s: %s", channels, f.Code, f.Channel, f.SKU, f.Message)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := specgen.Write(dir, specgen.Options{SKUs: 500, Seed: 3}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"products.csv", "stock.csv", "pricing.hcl", "promotions.hcl"} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if string(x) != string(y) || len(x) == 0 {
			t.Errorf("%s differs between two runs with one seed", name)
		}
	}
}
