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

// A stock file is outside data: it may live outside the spec directory, by
// an absolute path or one that climbs out of it.
func TestStockFileOutsideTheSpec(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "spec")
	if err := os.MkdirAll(filepath.Join(root, "exports"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "exports", "stock.csv"), []byte("sku,location,on_hand\nA,east,5\nA,west,-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := builtin.Registry()
	for _, path := range []string{"../exports/stock.csv", filepath.Join(root, "exports", "stock.csv")} {
		spc := `
channel "shop" {
  type = "sandbox"
}
product "A" {
  price = 1
}
stock_source "wh" {
  type = "file"
  file = "` + filepath.ToSlash(path) + `"
}
pool "p" {
  source   = "wh"
  channels = ["shop"]
}
`
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spc), 0o600); err != nil {
			t.Fatal(err)
		}
		s, diags := spec.LoadDir(dir, spec.Options{Types: reg})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", path, diags.Error())
		}
		levels, _, diags := Read(context.Background(), reg, s, dir, nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", path, diags.Error())
		}
		// A location that oversold lowers what the others offer.
		if n, _ := levels.OnHand("wh", "A"); n != 3 {
			t.Errorf("%s: on hand %d, want 5 - 2", path, n)
		}
	}
}
