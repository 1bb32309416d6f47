package cli_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/shopify"
	"github.com/accordhq/accord/adapters/shopify/shopifytest"
)

// webhookSpec is a Shopify store on the fake (taking its webhooks) and a
// sandbox market selling from one warehouse file.
const webhookSpec = `settings {
  currency = "USD"
  timezone = "UTC"
}
channel "shopify" {
  type = "shopify"
  config {
    shop           = "northwind-audio"
    endpoint       = %q
    access_token   = env("SHOPIFY_ACCESS_TOKEN")
    webhook_secret = env("SHOPIFY_WEBHOOK_SECRET")
  }
}
channel "market" {
  type = "sandbox"
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
  channels = ["shopify", "market"]
}
price_matrix "default" {
  rounding = "none"
}
`

// While accord run runs, an order on Shopify arrives as its signed
// orders/create webhook: the market's quantity is lowered within 2 s, by
// the order's units, and Shopify keeps its lowered count (the warehouse
// file, written before the order, does not show it yet). Deliveries that
// are unsigned or signed with another secret are refused with 401 and
// change nothing.
func TestRunShopifyOrderWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("runs accord run")
	}
	store := shopifytest.New(t)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"accord.hcl":   fmt.Sprintf(webhookSpec, store.URL()),
		"products.csv": "sku,price,title\nHP-01,39.99,Wireless Headphones\nSP-01,89.00,Portable Speaker\n",
		"stock.csv":    "sku,on_hand\nHP-01,10\nSP-01,4\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	store.AddProduct("Wireless Headphones", shopifytest.SeedVariant{SKU: "HP-01", Price: "39.99", Available: 10})
	store.AddProduct("Portable Speaker", shopifytest.SeedVariant{SKU: "SP-01", Price: "89.00", Available: 4})
	t.Setenv("SHOPIFY_ACCESS_TOKEN", shopifytest.Token)
	t.Setenv("SHOPIFY_WEBHOOK_SECRET", shopifytest.WebhookSecret)
	d := startDaemon(t, "--dir", dir, "--poll", "1h", "--resync", "1h", "--stock-resync", "1h", "--debounce", "50ms")
	waitFor(t, d, "readiness", func() bool { code, _ := d.get("/readyz"); return code == http.StatusOK })
	waitFor(t, d, "the market listing HP-01", func() bool { q, _ := sandboxListing(t, dir, "market", "HP-01"); return q == 10 })

	// Deliveries that do not verify: refused, nothing changes.
	forged := `{"id":1,"created_at":"` + time.Now().UTC().Format(time.RFC3339) + `","line_items":[{"sku":"HP-01","quantity":5}]}`
	for name, sig := range map[string]string{"unsigned": "", "another secret": shopify.Sign("not the app's secret", []byte(forged))} {
		h := map[string]string{"X-Shopify-Topic": "orders/create", "Content-Type": "application/json", "X-Shopify-Webhook-Id": name}
		if sig != "" {
			h["X-Shopify-Hmac-Sha256"] = sig
		}
		if code, body := d.do("POST", "/api/hooks/channel/shopify", forged, h); code != http.StatusUnauthorized {
			t.Errorf("%s delivery: HTTP %d %s, want 401", name, code, body)
		}
	}

	// A real order of 3, and its signed webhook.
	header, body := store.OrderHook("HP-01", 3)
	h := map[string]string{}
	for k := range header {
		h[k] = header.Get(k)
	}
	sent := time.Now()
	if code, resp := d.do("POST", "/api/hooks/channel/shopify", string(body), h); code != http.StatusOK {
		t.Fatalf("signed delivery: HTTP %d %s", code, resp)
	}
	waitFor(t, d, "the order on the market", func() bool { q, _ := sandboxListing(t, dir, "market", "HP-01"); return q == 7 })
	took := time.Since(sent)
	t.Logf("a Shopify order reached the market in %s", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the order took %s to reach the market, want at most 2s", took)
	}
	// Shopify keeps the sale: a full reconcile later, neither channel has
	// the 3 units back, and the forged orders took nothing.
	if code, resp := d.do("POST", "/api/sync", "", map[string]string{"Authorization": "Bearer t0ken"}); code != http.StatusAccepted {
		t.Fatalf("sync: HTTP %d %s", code, resp)
	}
	waitFor(t, d, "a full reconcile after the order", func() bool {
		_, status := d.get("/api/status")
		return strings.Contains(status, `"trigger": "api"`) && strings.Contains(status, `"result": "ok"`)
	})
	if q, _ := sandboxListing(t, dir, "market", "HP-01"); q != 7 {
		t.Errorf("market HP-01 after a full reconcile: %d, want 7", q)
	}
	if got := store.Available("HP-01"); got != 7 {
		t.Errorf("Shopify HP-01 after a full reconcile: %d, want 7 (the order's units listed again?)", got)
	}
	if q, _ := sandboxListing(t, dir, "market", "SP-01"); q != 4 {
		t.Errorf("market SP-01: %d, want 4", q)
	}
}
