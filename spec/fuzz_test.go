package spec_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

// FuzzLoad feeds arbitrary HCL and catalog CSV to the loader: it must
// never panic, and a nil spec always comes with an error.
func FuzzLoad(f *testing.F) {
	f.Add(`channel "a" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
pool "p" {
  channels = ["a"]
  channel "a" {
    buffer = "10%"
  }
}
price_matrix "m" {
  rounding = "0.99"
}
promotion "x" {
  starts = "2026-11-27"
  ends = "2026-11-28"
  where = product.category == "audio"
  discount = "20%"
}
listing {
  title = "${product.brand} ${product.title}"
}
`, "sku,price,category\nA-1,9.99,audio\n")
	f.Add(`pol "x" {}`, "")
	f.Add(`catalog { file = "../x" }`, "sku\n")
	f.Add(`locals { a = local.a }`, "sku,price\n,\n")
	f.Add(`listing { max_length = { title = -1 } }`, "\xef\xbb\xbfsku,price\nA,1e5\n")
	f.Fuzz(func(t *testing.T, src, csv string) {
		fsys := fstest.MapFS{"main.hcl": {Data: []byte(src)}, "products.csv": {Data: []byte(csv)}}
		s, diags := spec.Load(fsys, spec.Options{Types: builtin.Registry()})
		if s == nil && !diags.HasErrors() {
			t.Fatal("no spec and no error")
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Errorf("diagnostic without a summary: %#v", d)
			}
		}
	})
}

// FuzzReadCatalogCSV checks the catalog reader never panics and that every
// diagnostic points inside the file.
func FuzzReadCatalogCSV(f *testing.F) {
	f.Add("sku,price,cost,title\nHP-01,39.99,18.00,Headphones\nHP-02,abc,1,x\n")
	f.Add("sku,price\n\"unterminated,1\n")
	f.Add("price,sku\n1,\n,\n")
	f.Add("sku,price,color,color\nA,1,a,b\n")
	f.Fuzz(func(t *testing.T, data string) {
		products, _, diags := spec.ReadCatalogCSV("c.csv", []byte(data))
		for _, p := range products {
			if p.SKU == "" || !p.Price.IsPositive() {
				t.Errorf("accepted a product without a SKU or a positive price: %+v", p)
			}
		}
		checkRanges(t, diags, len(data))
	})
}

func checkRanges(t *testing.T, diags hcl.Diagnostics, size int) {
	t.Helper()
	for _, d := range diags {
		if d.Subject == nil {
			continue
		}
		if d.Subject.Start.Byte < 0 || d.Subject.Start.Byte > size+1 || d.Subject.Start.Line < 1 {
			t.Errorf("diagnostic %q points outside the file: %+v", d.Summary, d.Subject)
		}
	}
}

// FuzzCampaign feeds arbitrary campaign sources, lock files and partner
// campaign files to their readers: never a panic; a source that parses
// names a repository and a directory inside it; a lock written and read
// back is the same lock.
func FuzzCampaign(f *testing.F) {
	f.Add("git::https://example.com/acme/campaigns.git//holiday-2026?ref=v3", `campaign "holiday" {
  source = "git::x//y"
  commit = "0123"
}
`, `campaign {
  partner      = "acme"
  starts       = "2026-12-01"
  ends         = "2026-12-26"
  max_discount = "25%"
  eligible {
    brands = ["Acme"]
  }
}
`)
	f.Add("git::../campaigns//a/../../b", `campaign {}`, `campaign { starts = 1 }`)
	f.Add("git::ssh://git@example.com/x.git?ref=main&x=1", "", "campaign {}\ncampaign {}\n")
	f.Fuzz(func(t *testing.T, source, lockFile, campaignFile string) {
		if src, err := spec.ParseCampaignSource(source); err == nil {
			if src.URL == "" || src.Dir == "" || strings.HasPrefix(src.Dir, "..") || strings.HasPrefix(src.Dir, "/") {
				t.Errorf("%q parsed to %+v", source, src)
			}
		}
		if locks, diags := spec.ParseLocks([]byte(lockFile), "accord.lock.hcl"); !diags.HasErrors() {
			again, d := spec.ParseLocks(spec.FormatLocks(locks), "accord.lock.hcl")
			if d.HasErrors() || len(again) != len(locks) {
				t.Errorf("a lock file does not read back: %v\n%s", d, spec.FormatLocks(locks))
			}
			for k, v := range locks {
				if again[k] != v {
					t.Errorf("lock %q reads back as %+v, was %+v", k, again[k], v)
				}
			}
		}
		def, diags := spec.LoadCampaign(fstest.MapFS{"campaign.hcl": {Data: []byte(campaignFile)}}, "c", nil)
		if def == nil && !diags.HasErrors() {
			t.Fatal("no campaign and no error")
		}
	})
}
