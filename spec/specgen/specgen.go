// Package specgen writes synthetic spec directories of any size, for
// benchmarks and load tests: a catalog CSV, a stock CSV and HCL that uses
// every part of the language (pools with buffers, reserves, caps and a
// low-stock throttle; a price matrix with adjustments, rounding, floors, an
// anchor and an override; promotions by SKU list and by predicate; parity
// rules; listing fields with per-channel titles and length limits).
//
// The output is deterministic for a given seed, so figures from two machines
// or two commits measure the same spec.
package specgen

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options sizes the generated spec.
type Options struct {
	// SKUs is the catalog size; default 100,000.
	SKUs int
	// Channels is the number of channels, 1 to 6; default 6.
	Channels int
	// Seed makes the data reproducible; default 1.
	Seed uint64
}

// channel is a generated channel: its block and its role.
type channel struct {
	name, typ, currency, fx, adjust, skuColumn string
}

// allChannels are the channels in the order they are added.
var allChannels = []channel{
	{name: "shopify", typ: "shopify", currency: "USD"},
	{name: "amazon_us", typ: "amazon", currency: "USD", adjust: "+8%", skuColumn: "amazon_sku"},
	{name: "tiktok", typ: "tiktok", currency: "USD", adjust: "-3%"},
	{name: "walmart", typ: "walmart", currency: "USD", adjust: "+5%"},
	{name: "ebay", typ: "ebay", currency: "USD", adjust: "+2.00"},
	{name: "amazon_ca", typ: "amazon", currency: "CAD", fx: "1.37", adjust: "+10%", skuColumn: "amazon_sku"},
}

var (
	brands     = []string{"Acme", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Proseware", "Wingtip"}
	categories = []string{"audio", "home", "kitchen", "outdoor", "toys", "beauty", "office", "garden"}
	adjectives = []string{"Wireless", "Compact", "Premium", "Classic", "Smart", "Portable", "Deluxe", "Ultra", "Eco", "Pro"}
	nouns      = []string{"Headphones", "Blender", "Lamp", "Backpack", "Speaker", "Kettle", "Chair", "Drone", "Grill", "Fan", "Scale", "Router"}
	colors     = []string{"black", "white", "red", "blue", "green", "silver", "grey", "pink"}
	sizes      = []string{"S", "M", "L", "XL", "one size"}
)

// Write creates the spec in dir, which must exist.
func Write(dir string, o Options) error {
	if o.SKUs <= 0 {
		o.SKUs = 100_000
	}
	if o.Channels <= 0 || o.Channels > len(allChannels) {
		o.Channels = len(allChannels)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	chans := allChannels[:o.Channels]
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)) //nolint:gosec // G404: a seeded generator makes the benchmark spec reproducible; nothing here is secret
	firstPrice, err := writeCatalog(filepath.Join(dir, "products.csv"), o.SKUs, rng)
	if err != nil {
		return err
	}
	if err := writeStock(filepath.Join(dir, "stock.csv"), o.SKUs, rng); err != nil {
		return err
	}
	files := map[string]string{
		"accord.hcl":     accordHCL(chans),
		"inventory.hcl":  inventoryHCL(chans),
		"pricing.hcl":    pricingHCL(chans, firstPrice),
		"promotions.hcl": promotionsHCL(chans, o.SKUs),
		"listing.hcl":    listingHCL(chans),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// SKU is the catalog SKU of the i-th generated product (from 0).
func SKU(i int) string { return fmt.Sprintf("SKU-%06d", i+1) }

// cents writes an amount in cents as a decimal string, without floats.
func cents(c int) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// writeCatalog writes n products and returns the first one's price in cents.
func writeCatalog(path string, n int, rng *rand.Rand) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	firstPrice := 0
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	_ = w.Write([]string{"sku", "price", "cost", "map", "msrp", "title", "brand", "category", "description", "gtin", "color", "size", "amazon_sku"})
	for i := 0; i < n; i++ {
		price := 999 + rng.IntN(49000)
		price = price/100*100 + 99 // most catalogs end in .99
		if i == 0 {
			firstPrice = price
		}
		cost := price * (35 + rng.IntN(25)) / 100
		mapPrice := ""
		if rng.IntN(10) < 3 {
			mapPrice = cents(price * (80 + rng.IntN(10)) / 100)
		}
		brand := brands[rng.IntN(len(brands))]
		title := adjectives[rng.IntN(len(adjectives))] + " " + nouns[rng.IntN(len(nouns))] + fmt.Sprintf(" %d", 100+rng.IntN(900))
		if rng.IntN(50) == 0 {
			title += " with Extended Warranty, Carry Case, Spare Parts Kit and Quick Start Guide for Home and Travel"
		}
		amazon := "FBA-" + SKU(i)
		if rng.IntN(20) == 0 {
			amazon = "" // not sold on Amazon
		}
		_ = w.Write([]string{SKU(i), cents(price), cents(cost), mapPrice, cents(price * 12 / 10), title, brand,
			categories[rng.IntN(len(categories))], "A dependable " + strings.ToLower(title) + " for everyday use.",
			fmt.Sprintf("%013d", 850000000000+int64(i)), colors[rng.IntN(len(colors))], sizes[rng.IntN(len(sizes))], amazon})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return 0, errors.Join(err, f.Close())
	}
	if err := bw.Flush(); err != nil {
		return 0, errors.Join(err, f.Close())
	}
	return firstPrice, f.Close()
}

func writeStock(path string, n int, rng *rand.Rand) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// A bufio.Writer keeps its first error and Flush returns it, so the
	// writes below are checked once, there.
	w := bufio.NewWriterSize(f, 1<<20)
	_, _ = fmt.Fprintln(w, "sku,on_hand")
	for i := 0; i < n; i++ {
		if rng.IntN(200) == 0 {
			continue // a SKU the warehouse has no record of
		}
		_, _ = fmt.Fprintf(w, "%s,%d\n", SKU(i), rng.IntN(120))
	}
	if err := w.Flush(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

func names(chans []channel) string {
	q := make([]string, len(chans))
	for i, c := range chans {
		q[i] = fmt.Sprintf("%q", c.name)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func accordHCL(chans []channel) string {
	var b strings.Builder
	b.WriteString("settings {\n  currency = \"USD\"\n  timezone = \"America/New_York\"\n}\n\n")
	for _, c := range chans {
		fmt.Fprintf(&b, "channel %q {\n  type = %q\n", c.name, c.typ)
		if c.currency != "USD" {
			fmt.Fprintf(&b, "  currency = %q\n  fx_rate  = %s\n", c.currency, c.fx)
		}
		if c.skuColumn != "" {
			fmt.Fprintf(&b, "  sku_column = %q\n", c.skuColumn)
		}
		// The credentials of the kinds whose adapters are in the build,
		// read from the environment as a real spec does.
		switch c.typ {
		case "shopify":
			b.WriteString("  config {\n    shop         = \"acme-audio\"\n    access_token = env(\"SHOPIFY_ACCESS_TOKEN\")\n  }\n")
		case "amazon":
			mp := "ATVPDKIKX0DER"
			if c.currency == "CAD" {
				mp = "A2EUQ1WTGCTBG2"
			}
			fmt.Fprintf(&b, "  config {\n    region         = \"na\"\n    marketplace_id = %q\n    seller_id      = env(\"AMAZON_SELLER_ID\")\n"+
				"    client_id      = env(\"AMAZON_LWA_CLIENT_ID\")\n    client_secret  = env(\"AMAZON_LWA_CLIENT_SECRET\")\n"+
				"    refresh_token  = env(\"AMAZON_REFRESH_TOKEN\")\n  }\n", mp)
		case "tiktok":
			b.WriteString("  config {\n    app_key       = env(\"TIKTOK_APP_KEY\")\n    app_secret    = env(\"TIKTOK_APP_SECRET\")\n" +
				"    refresh_token = env(\"TIKTOK_REFRESH_TOKEN\")\n    shop_cipher   = \"GCP_acme\"\n    warehouse_id  = \"7310000000000000001\"\n  }\n")
		case "walmart":
			b.WriteString("  config {\n    client_id     = env(\"WALMART_CLIENT_ID\")\n    client_secret = env(\"WALMART_CLIENT_SECRET\")\n  }\n")
		case "ebay":
			b.WriteString("  config {\n    marketplace_id = \"EBAY_US\"\n    client_id      = env(\"EBAY_CLIENT_ID\")\n" +
				"    client_secret  = env(\"EBAY_CLIENT_SECRET\")\n    refresh_token  = env(\"EBAY_REFRESH_TOKEN\")\n  }\n")
		}
		b.WriteString("}\n\n")
	}
	b.WriteString("catalog {\n  file = \"products.csv\"\n}\n\nstock_source \"warehouse\" {\n  type = \"file\"\n  file = \"stock.csv\"\n}\n")
	return b.String()
}

func inventoryHCL(chans []channel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pool \"main\" {\n  source       = \"warehouse\"\n  channels     = %s\n  safety_stock = 2\n", names(chans))
	for i, c := range chans {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "  channel %q {\n    reserve = 1\n  }\n", c.name)
		case 1:
			fmt.Fprintf(&b, "  channel %q {\n    buffer = \"10%%\"\n    max    = 50\n  }\n", c.name)
		case 2:
			fmt.Fprintf(&b, "  channel %q {\n    buffer = 2\n  }\n", c.name)
		}
	}
	fmt.Fprintf(&b, "  low_stock {\n    threshold = 5\n    channels  = [%q]\n  }\n}\n", chans[0].name)
	return b.String()
}

// pricingHCL writes the matrix and parity rules. The override sells the
// first SKU 10% under its list price on the anchor channel, above any floor
// the generator's costs allow.
func pricingHCL(chans []channel, firstPrice int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "price_matrix \"default\" {\n  rounding   = \"0.99\"\n  min_margin = \"10%%\"\n  anchor     = %q\n", chans[0].name)
	for _, c := range chans[1:] {
		fmt.Fprintf(&b, "  channel %q {\n    adjust        = %q\n    max_deviation = \"40%%\"\n  }\n", c.name, c.adjust)
	}
	fmt.Fprintf(&b, "  override {\n    sku     = %q\n    channel = %q\n    price   = %s\n  }\n}\n", SKU(0), chans[0].name, cents(firstPrice*9/10))
	if len(chans) >= 3 {
		fmt.Fprintf(&b, "\nparity \"amazon_fair_pricing\" {\n  channel      = %q\n  against      = [%q, %q]\n  max_gap      = \"5%%\"\n  on_violation = \"match\"\n}\n", chans[1].name, chans[0].name, chans[2].name)
	}
	if len(chans) >= 4 {
		fmt.Fprintf(&b, "\nparity \"walmart_reasonable_price\" {\n  channel      = %q\n  against      = [%q]\n  max_gap      = \"10%%\"\n  on_violation = \"warn\"\n}\n", chans[3].name, chans[0].name)
	}
	return b.String()
}

func promotionsHCL(chans []channel, n int) string {
	var skus []string
	for i := 0; i < n && len(skus) < 500; i += 97 {
		skus = append(skus, fmt.Sprintf("%q", SKU(i)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `promotion "holiday_audio" {
  starts       = "2026-11-27T00:00:00"
  ends         = "2026-12-01T00:00:00"
  where        = product.category == "audio"
  discount     = "20%%"
  partner      = "acme-mfg"
}

promotion "clearance" {
  starts   = "2026-11-20T00:00:00"
  ends     = "2026-12-31T00:00:00"
  skus     = [%s]
  discount = "10%%"
  priority = 5
}
`, strings.Join(skus, ", "))
	if len(chans) >= 3 {
		fmt.Fprintf(&b, `
promotion "flash_sale" {
  starts   = "2026-11-28T10:00:00"
  ends     = "2026-11-28T22:00:00"
  channels = [%q, %q]
  where    = product.brand == "Acme" && product.category == "home"
  discount = "10%%"
  priority = 10
}
`, chans[2].name, chans[1].name)
	}
	return b.String()
}

func listingHCL(chans []channel) string {
	var b strings.Builder
	b.WriteString(`listing {
  title       = "${product.brand} ${product.title}"
  description = product.description
  gtin        = product.gtin
  shared      = ["gtin"]
  max_length  = { title = 150 }
  truncate    = true
`)
	if len(chans) >= 2 {
		fmt.Fprintf(&b, "\n  channel %q {\n    title      = \"${product.brand} ${product.title} - ${title(product.attributes.color)}\"\n    max_length = { title = 200 }\n  }\n", chans[1].name)
	}
	for _, c := range chans {
		if c.typ == "ebay" {
			fmt.Fprintf(&b, "\n  channel %q {\n    max_length = { title = 80 }\n  }\n", c.name)
		}
	}
	b.WriteString("}\n")
	return b.String()
}
