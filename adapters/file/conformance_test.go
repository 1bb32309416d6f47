package file

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// The file channel seeds through its export, as the marketplace would
// export it, and applies to its outbox, which the next read overlays.
func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		dir := t.TempDir()
		f, diags := hclsyntax.ParseConfig([]byte(`export = "export.csv"`), "config.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return adaptertest.Fixture{
			Channel: "regional", Currency: "EUR", Scale: 2,
			Open: func(t *testing.T) adapters.Channel {
				ch, err := Open(context.Background(), adapters.Setup{Name: "regional", Currency: "EUR", Scale: 2, SpecDir: dir, Config: f.Body, Now: time.Now})
				if err != nil {
					t.Fatal(err)
				}
				return ch
			},
			Seed: func(t *testing.T, ls []adapters.Listing) {
				path := filepath.Join(dir, "export.csv")
				out, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				w := csv.NewWriter(out)
				_ = w.Write([]string{"sku", "quantity", "price", "title", "gtin"})
				for _, l := range ls {
					title, _ := l.Field("title")
					gtin, _ := l.Field("gtin")
					_ = w.Write([]string{l.SKU, strconv.FormatInt(l.Quantity.Units, 10), l.Price.Decimal.StringFixed(2), title, gtin})
				}
				w.Flush()
				if err := w.Error(); err != nil {
					t.Fatal(err)
				}
				if err := out.Close(); err != nil {
					t.Fatal(err)
				}
				// Exported before anything is applied: the outbox rows
				// queued from now on overlay it.
				past := time.Now().Add(-time.Minute)
				if err := os.Chtimes(path, past, past); err != nil {
					t.Fatal(err)
				}
			},
		}
	}})
}
