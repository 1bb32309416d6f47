package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/shopify/shopifytest"
	"github.com/accordhq/accord/cmd/accord/cli"
)

// shopifySpec is one Shopify store selling from one warehouse file; the
// endpoint is the fake store's.
const shopifySpec = `settings {
  currency = "USD"
  timezone = "UTC"
}
channel "shopify" {
  type = "shopify"
  config {
    shop         = "northwind-audio"
    endpoint     = %q
    access_token = env("SHOPIFY_ACCESS_TOKEN")
  }
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["shopify"]
}
price_matrix "default" {
  rounding = "none"
}
listing {
  title = product.title
}
`

// shopifyStore is a spec directory pointed at a fake Shopify store.
type shopifyStore struct {
	t     testing.TB
	dir   string
	store *shopifytest.Store
}

func newShopifyStore(t *testing.T) *shopifyStore {
	t.Helper()
	s := &shopifyStore{t: t, dir: t.TempDir(), store: shopifytest.New(t)}
	for name, text := range map[string]string{
		"accord.hcl":   fmt.Sprintf(shopifySpec, s.store.URL()),
		"products.csv": "sku,price,title\nHP-01,39.99,Wireless Headphones\nHP-02,59.99,Noise Cancelling Headphones\nSP-01,89.00,Portable Speaker\n",
		"stock.csv":    "sku,on_hand\nHP-01,42\nHP-02,18\nSP-01,7\n",
	} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The store is behind the catalog: HP-01 at an old price and count,
	// HP-02 under an old title, SP-01 not listed yet.
	s.store.AddProduct("Wireless Headphones", shopifytest.SeedVariant{SKU: "HP-01", Price: "34.99", Available: 30})
	s.store.AddProduct("Noise Cancelling Headphones (2024)", shopifytest.SeedVariant{SKU: "HP-02", Price: "59.99", Available: 18})
	return s
}

// accord runs accord in-process on the spec directory, with the store's
// access token in the environment.
func (s *shopifyStore) accord(args ...string) (string, int) {
	s.t.Helper()
	var out bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Now: time.Now,
		LookupEnv: func(k string) (string, bool) {
			if k == "SHOPIFY_ACCESS_TOKEN" {
				return shopifytest.Token, true
			}
			return "", false
		}}
	code := cli.Run(context.Background(), append(args, "--dir", s.dir), env)
	return out.String(), code
}

// plan, apply, plan again: the store converges and the second plan is
// empty.
func TestShopifyPlanApplyConverges(t *testing.T) {
	s := newShopifyStore(t)
	out, code := s.accord("plan", "--detailed-exitcode")
	t.Logf("plan:\n%s", out)
	if code != cli.ExitChanges {
		t.Fatalf("plan exited %d, want %d:\n%s", code, cli.ExitChanges, out)
	}
	for _, want := range []string{"HP-01", "39.99", "42", "Noise Cancelling Headphones", "SP-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not show %q", want)
		}
	}
	if out, code = s.accord("apply", "--auto-approve"); code != cli.ExitOK {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	t.Logf("apply:\n%s", out)
	v1, _ := s.store.Variant("HP-01")
	v2, _ := s.store.Variant("HP-02")
	if v1.Price != "39.99" || v1.Available != 42 || v2.Title != "Noise Cancelling Headphones" {
		t.Errorf("after apply: HP-01 %s × %d, HP-02 %q", v1.Price, v1.Available, v2.Title)
	}
	if v3, ok := s.store.Variant("SP-01"); !ok || v3.Title != "Portable Speaker" || v3.Price != "89.00" || v3.Available != 7 {
		t.Errorf("after apply: SP-01 %+v (listed: %v)", v3, ok)
	}
	if out, code = s.accord("plan", "--detailed-exitcode"); code != cli.ExitOK || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after apply exited %d:\n%s", code, out)
	}
}

// A sale lands on the store between plan --out and apply of that plan:
// apply re-reads the values the plan changes and refuses the saved plan as
// stale, writing nothing, so the sold units stay sold; a fresh plan starts
// from the store's count after the sale.
func TestShopifySaleBetweenPlanAndApply(t *testing.T) {
	s := newShopifyStore(t)
	plan := filepath.Join(t.TempDir(), "p.json")
	out, code := s.accord("plan", "--out", plan)
	if code != cli.ExitOK || !strings.Contains(out, "quantity  30 -> 42") {
		t.Fatalf("plan --out exited %d:\n%s", code, out)
	}
	s.store.Sell("HP-01", 4) // 30 → 26 on the store
	writes := len(s.store.Requests())
	for range 2 { // refused every time, not only the first
		out, code = s.accord("apply", plan)
		if code != cli.ExitError || !strings.Contains(out, "the saved plan is stale") ||
			!strings.Contains(out, "shopify HP-01 quantity was 30 when planned and is 26 now") {
			t.Errorf("apply of the stale plan exited %d:\n%s", code, out)
		}
	}
	for _, r := range s.store.Requests()[writes:] {
		if r.Op == "Apply" {
			t.Errorf("the stale plan sent a write: %v", r.Variables)
		}
	}
	v1, _ := s.store.Variant("HP-01")
	if v1.Available != 26 || v1.Price != "34.99" {
		t.Errorf("HP-01 is %s × %d after the refused apply, want 34.99 × 26: nothing applied", v1.Price, v1.Available)
	}
	if _, ok := s.store.Variant("SP-01"); ok {
		t.Error("the refused plan created SP-01")
	}
	if out, code = s.accord("plan"); code != cli.ExitOK || !strings.Contains(out, "quantity  26 -> 42") {
		t.Errorf("the fresh plan exited %d, want it to start from 26:\n%s", code, out)
	}
}

// A sale lands on the store during apply, between apply's read and its
// quantity write: the write is compare-and-set (compareQuantity 30), the
// store refuses it as stale, and the adapter re-reads and writes again
// against 26, the count after the sale. The count written is still the
// warehouse's (stock.csv says 42): the sale is never written over blindly.
func TestShopifySaleDuringApply(t *testing.T) {
	s := newShopifyStore(t)
	var once sync.Once
	s.store.BeforeMutation(func() { once.Do(func() { s.store.Sell("HP-01", 4) }) })
	if out, code := s.accord("apply", "--auto-approve"); code != cli.ExitOK || !strings.Contains(out, "Applied 4 of 4.") {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	var compared []any
	for _, r := range s.store.Requests() {
		for _, v := range r.Variables {
			in, ok := v.(map[string]any)
			if !ok || in["name"] != "available" {
				continue
			}
			for _, q := range in["quantities"].([]any) {
				compared = append(compared, q.(map[string]any)["compareQuantity"])
			}
		}
	}
	if fmt.Sprint(compared) != "[30 26]" {
		t.Errorf("quantity writes compared with %v, want [30 26]: the first refused after the sale, the second against the count after it", compared)
	}
	if v1, _ := s.store.Variant("HP-01"); v1.Available != 42 {
		t.Errorf("HP-01 is %d, want the warehouse's 42", v1.Available)
	}
	if out, code := s.accord("plan", "--detailed-exitcode"); code != cli.ExitOK || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after apply exited %d:\n%s", code, out)
	}
}
