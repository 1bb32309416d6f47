package stock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.hcl", `
channel "shop" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
stock_source "unused" {
  type = "file"
  file = "missing.csv"
}
pool "p" {
  source   = "warehouse"
  channels = ["shop"]
}
`)
	write("products.csv", "sku,price\nA,1\n")
	write("stock.csv", "sku,on_hand\nA,9\n")
	reg := builtin.Registry()
	s, diags := spec.LoadDir(dir, spec.Options{Types: reg})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	revision := len(s.Sources)
	levels, sources, diags := Read(context.Background(), reg, s, dir, nil)
	if diags.HasErrors() {
		t.Fatalf("an unused source was read, or the used one failed: %s", diags.Error())
	}
	if n, ok := levels.OnHand("warehouse", "A"); !ok || n != 9 {
		t.Errorf("OnHand = %d, %v; want 9", n, ok)
	}
	if _, ok := levels.OnHand("warehouse", "B"); ok {
		t.Error("a SKU without a row has a level")
	}
	if len(sources) != 1 {
		t.Errorf("sources = %v, want the stock file", sources)
	}
	if len(s.Sources) != revision {
		t.Error("reading stock added files to the spec's sources, which its revision is a hash of")
	}
	if err := os.Remove(filepath.Join(dir, "stock.csv")); err != nil {
		t.Fatal(err)
	}
	_, _, diags = Read(context.Background(), reg, s, dir, nil)
	if !strings.Contains(diags.Error(), "does not exist") {
		t.Errorf("a missing stock file gave %q", diags.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, diags := Read(ctx, reg, s, dir, nil); !diags.HasErrors() {
		t.Error("a cancelled read succeeded")
	}
}
