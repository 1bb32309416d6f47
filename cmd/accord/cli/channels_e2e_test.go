package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/amazon/amazontest"
	"github.com/accordhq/accord/adapters/ebay/ebaytest"
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
	"github.com/accordhq/accord/adapters/shopify/shopifytest"
	"github.com/accordhq/accord/adapters/tiktok/tiktoktest"
	"github.com/accordhq/accord/adapters/walmart/walmarttest"
	"github.com/accordhq/accord/cmd/accord/cli"
)

// sevenFakes is a fake of every real channel accord speaks to.
type sevenFakes struct {
	shopify *shopifytest.Store
	amazon  *amazontest.Server
	ebay    *ebaytest.Server
	walmart *walmarttest.Server
	tiktok  *tiktoktest.Server
	shopee  *shopeetest.Server
	lazada  *lazadatest.Server
}

// block indents a fake's config for a channel block.
func block(config string) string { return strings.ReplaceAll(config, "\n", "\n    ") }

// sevenSpec writes a spec selling 3 SKUs on all seven marketplaces from
// one warehouse, Shopee in Malaysian ringgit and Lazada in Singapore
// dollars at the spec's fx_rate, and seeds every fake with the SKUs at old
// prices and quantities.
func sevenSpec(t *testing.T, f *sevenFakes) string {
	t.Helper()
	dir := t.TempDir()
	hcl := fmt.Sprintf(`settings {
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

channel "amazon_us" {
  type = "amazon"
  config {%s  }
}

channel "ebay" {
  type = "ebay"
  config {%s  }
}

channel "walmart" {
  type = "walmart"
  config {
    %s
  }
}

channel "tiktok" {
  type = "tiktok"
  config {%s  }
}

channel "shopee_my" {
  type     = "shopee"
  currency = "MYR"
  fx_rate  = 4.70
  config {%s  }
}

channel "lazada_sg" {
  type     = "lazada"
  currency = "SGD"
  fx_rate  = 1.35
  config {%s  }
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
  channels = ["shopify", "amazon_us", "ebay", "walmart", "tiktok", "shopee_my", "lazada_sg"]
}

price_matrix "default" {
  rounding = "none"
}

listing {
  title = product.title
}
`, f.shopify.URL(), block(f.amazon.Config("")), block(f.ebay.Config("")), block(f.walmart.Config("")),
		block(f.tiktok.Config("")), block(f.shopee.Config("")), block(f.lazada.Config("")))
	writeFiles(t, dir, map[string]string{
		"accord.hcl":   hcl,
		"products.csv": "sku,price,title,gtin\nNW-1,39.99,Wireless Headphones,00012345678905\nNW-2,59.99,Noise Cancelling Headphones,00012345678912\nNW-3,89.00,Portable Speaker,00012345678929\n",
		"stock.csv":    "sku,on_hand\nNW-1,42\nNW-2,18\nNW-3,7\n",
	})
	// NW-2 is listed everywhere under last year's title.
	titles := map[string]string{"NW-1": "Wireless Headphones", "NW-2": "Noise Cancelling Headphones (2025)", "NW-3": "Portable Speaker"}
	seed := func(channel, currency string, price int64) []adapters.Listing {
		var ls []adapters.Listing
		for i, sku := range []string{"NW-1", "NW-2", "NW-3"} {
			ls = append(ls, adapters.Listing{
				Key:      adapters.Key{Channel: channel, SKU: sku},
				Price:    decimal.NullDecimal{Decimal: decimal.New(price+int64(i)*100, -2), Valid: true},
				Quantity: adapters.Quantity{Units: 3, Valid: true},
				Currency: currency,
				Fields:   []adapters.Field{{Name: "gtin", Value: fmt.Sprintf("0001234567890%d", i)}, {Name: "title", Value: titles[sku]}},
			})
		}
		return ls
	}
	for _, sku := range []string{"NW-1", "NW-2", "NW-3"} {
		f.shopify.AddProduct(titles[sku], shopifytest.SeedVariant{SKU: sku, Price: "10.00", Available: 3})
	}
	f.amazon.Seed(seed("amazon_us", "USD", 1000))
	f.ebay.Seed(seed("ebay", "USD", 1000))
	f.walmart.Seed(seed("walmart", "USD", 1000))
	f.tiktok.Seed(seed("tiktok", "USD", 1000))
	f.shopee.Seed(seed("shopee_my", "MYR", 4700))
	f.lazada.Seed(seed("lazada_sg", "SGD", 1350))
	return dir
}

// accordSeven runs accord in-process with every fake's credentials.
func accordSeven(t *testing.T, f *sevenFakes, dir string, args ...string) (string, int) {
	t.Helper()
	env := map[string]string{"NO_COLOR": "1", "SHOPIFY_ACCESS_TOKEN": shopifytest.Token}
	for _, m := range []map[string]string{amazontest.Env(), ebaytest.Env(), walmarttest.Env(), f.tiktok.Env(), shopeetest.Env(), lazadatest.Env()} {
		for k, v := range m {
			env[k] = v
		}
	}
	var out bytes.Buffer
	code := cli.Run(context.Background(), append(args, "--dir", dir), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Now: time.Now})
	return out.String(), code
}

// One spec, all seven real channel types at once, each on its fake: plan
// shows every channel's changes (quantities, prices, a title), apply
// lands them, and the next plan is empty. The regional marketplaces get the catalog price at the spec's
// fx_rate in their own currency.
func TestSevenChannelsConverge(t *testing.T) {
	f := &sevenFakes{
		shopify: shopifytest.New(t), amazon: amazontest.New(t), ebay: ebaytest.New(t), walmart: walmarttest.New(t),
		tiktok: tiktoktest.New(t), shopee: shopeetest.New(t), lazada: lazadatest.New(t),
	}
	f.shopee.SetCurrency("MYR", 2)
	dir := sevenSpec(t, f)

	out, code := accordSeven(t, f, dir, "plan")
	if code != 0 {
		t.Fatalf("plan: exit %d:\n%s", code, out)
	}
	for _, ch := range []string{"shopify", "amazon_us", "ebay", "walmart", "tiktok", "shopee_my", "lazada_sg"} {
		if !strings.Contains(out, ch+": ") {
			t.Errorf("the plan has no changes for %s:\n%s", ch, out)
		}
	}
	if out, code = accordSeven(t, f, dir, "apply", "--auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, out)
	}
	if out, code = accordSeven(t, f, dir, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("the plan after apply: exit %d:\n%s", code, out)
	}

	// 39.99 USD x 4.70 = 187.953 MYR, x 1.35 = 53.9865 SGD: half up to
	// the cent.
	if l, ok := f.shopee.Listing("NW-1"); !ok || !l.Current.Equal(decimal.RequireFromString("187.95")) || l.Stock != 42 {
		t.Errorf("Shopee NW-1: %+v, want 187.95 MYR and 42 units", l)
	}
	if _, s, ok := f.lazada.Listing("NW-1"); !ok || !s.Price.Equal(decimal.RequireFromString("53.99")) || s.Quantity != 42 {
		t.Errorf("Lazada NW-1: %+v, want 53.99 SGD and 42 units", s)
	}
	if v, ok := f.shopify.Variant("NW-3"); !ok || v.Price != "89.00" || v.Available != 7 {
		t.Errorf("Shopify NW-3: %+v", v)
	}
	if l, ok := f.ebay.Listing("NW-2"); !ok || !l.Price.Decimal.Equal(decimal.RequireFromString("59.99")) {
		t.Errorf("eBay NW-2: %+v", l)
	}
	if it, ok := f.walmart.Listing("NW-2"); !ok || !it.Price.Equal(decimal.RequireFromString("59.99")) {
		t.Errorf("Walmart NW-2: %+v", it)
	}
	if l, ok := f.tiktok.Listing("NW-2"); !ok || !l.Price.Decimal.Equal(decimal.RequireFromString("59.99")) || l.Quantity.Units != 18 {
		t.Errorf("TikTok NW-2: %+v", l)
	}
	if it, ok := f.amazon.Listing("NW-3"); !ok || !it.Price.Decimal.Equal(decimal.RequireFromString("89")) {
		t.Errorf("Amazon NW-3: %+v", it)
	}

	// The title went everywhere, each channel its own way.
	const title = "Noise Cancelling Headphones"
	titles := map[string]string{}
	if v, ok := f.shopify.Variant("NW-2"); ok {
		titles["shopify"] = v.Title
	}
	if it, ok := f.amazon.Listing("NW-2"); ok {
		titles["amazon_us"] = it.Attributes["item_name"]
	}
	if l, ok := f.ebay.Listing("NW-2"); ok {
		titles["ebay"] = l.Title
	}
	if it, ok := f.walmart.Listing("NW-2"); ok {
		titles["walmart"] = it.Title
	}
	if l, ok := f.tiktok.Listing("NW-2"); ok {
		titles["tiktok"], _ = l.Field("title")
	}
	if l, ok := f.shopee.Listing("NW-2"); ok {
		titles["shopee_my"] = l.Title
	}
	if it, _, ok := f.lazada.Listing("NW-2"); ok {
		titles["lazada_sg"] = it.Attributes["name"]
	}
	for _, ch := range []string{"shopify", "amazon_us", "ebay", "walmart", "tiktok", "shopee_my", "lazada_sg"} {
		if titles[ch] != title {
			t.Errorf("%s NW-2 title: %q, want %q", ch, titles[ch], title)
		}
	}
}

// accord apply of 20,000 quantity changes to Walmart: they go in at most
// two inventory feeds (Walmart allows ten an hour), land once the feeds
// are processed, and the next plan is empty.
func TestWalmartTwentyThousandQuantities(t *testing.T) {
	f := walmarttest.New(t)
	const n = 20_000
	dir := t.TempDir()
	hcl := fmt.Sprintf(`settings {
  currency = "USD"
  timezone = "UTC"
}

channel "walmart" {
  type = "walmart"
  config {
    %s
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
  channels = ["walmart"]
}

price_matrix "default" {
  rounding = "none"
}
`, block(f.Config("read_promotions = false\ncall_rate = 5000\n")))
	var products, stock strings.Builder
	products.WriteString("sku,price\n")
	stock.WriteString("sku,on_hand\n")
	ls := make([]adapters.Listing, n)
	for i := range n {
		sku := fmt.Sprintf("WM-%05d", i)
		fmt.Fprintf(&products, "%s,10.00\n", sku)
		fmt.Fprintf(&stock, "%s,%d\n", sku, 100+i%50)
		ls[i] = adapters.Listing{Key: adapters.Key{Channel: "walmart", SKU: sku}, Currency: "USD",
			Price: decimal.NullDecimal{Decimal: decimal.New(1000, -2), Valid: true}, Quantity: adapters.Quantity{Units: 3, Valid: true}}
	}
	f.Seed(ls)
	writeFiles(t, dir, map[string]string{"accord.hcl": hcl, "products.csv": products.String(), "stock.csv": stock.String()})
	env := walmarttest.Env()
	env["NO_COLOR"] = "1"
	run := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := cli.Run(context.Background(), append(args, "--dir", dir), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Now: time.Now})
		return out.String(), code
	}
	if out, code := run("apply", "--auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, out)
	}
	got := f.Feeds("inventory")
	if got < 1 || got > 2 {
		t.Errorf("%d inventory feeds for %d quantity changes, want 1 or 2", got, n)
	}
	t.Logf("%d quantity changes went in %d inventory feeds", n, got)
	for _, i := range []int{0, 9_999, 10_000, n - 1} {
		if it, _ := f.Listing(ls[i].SKU); it.Quantity != int64(100+i%50) {
			t.Errorf("%s: quantity %d on Walmart, want %d", ls[i].SKU, it.Quantity, 100+i%50)
		}
	}
	if out, code := run("plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after apply: exit %d:\n%s", code, out)
	}
}
