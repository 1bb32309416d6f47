package derive_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/accordhq/accord/spec/derive"
)

// TestManyProductsAcrossWorkers derives a catalog large enough to be split
// across workers, with a channel that skips every 7th product, and checks
// that every listing is there once, in channel then SKU order, with its own
// numbers, whatever the number of workers.
func TestManyProductsAcrossWorkers(t *testing.T) {
	const n = 1500
	var csv strings.Builder
	csv.WriteString("sku,price,reg_sku\n")
	stock := stockMap{"wh": {}}
	for i := 0; i < n; i++ {
		sku := fmt.Sprintf("P-%04d", i)
		reg := "R" + sku
		if i%7 == 0 {
			reg = "" // reg does not list it
		}
		// price = 10.00 + i cents; on hand = i.
		fmt.Fprintf(&csv, "%s,%d.%02d,%s\n", sku, 10+i/100, i%100, reg)
		stock["wh"][sku] = int64(i)
	}
	s := load(t, chShop+chAmz+`
channel "reg" {
  type       = "file"
  sku_column = "reg_sku"
  config {
    export = "reg.csv"
  }
}
`+catalogBlock+stockBlock+`
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "reg"]
}
price_matrix "m" {
  channel "amz" {
    adjust = "+1.00"
  }
}`, csv.String())

	// Expected, channel by channel in name order, SKU by SKU:
	// amz: every product, price 10.00 + i cents + 1.00, quantity i.
	// reg: products with i % 7 != 0, price 10.00 + i cents, quantity i.
	// shop: every product, price 10.00 + i cents, quantity i.
	type row struct {
		key   string
		price string
		qty   int64
	}
	var want []row
	for _, ch := range []string{"amz", "reg", "shop"} {
		for i := 0; i < n; i++ {
			if ch == "reg" && i%7 == 0 {
				continue
			}
			cents := 1000 + i
			if ch == "amz" {
				cents += 100
			}
			want = append(want, row{ch + "/" + fmt.Sprintf("P-%04d", i), fmt.Sprintf("%d.%02d", cents/100, cents%100), int64(i)})
		}
	}
	for _, workers := range []int{1, 2, 5, 0} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			res := derive.Derive(s, derive.Options{At: beforeBF, Stock: stock, Workers: workers})
			if len(res.Listings) != len(want) {
				t.Fatalf("%d listings, want %d", len(res.Listings), len(want))
			}
			bad := 0
			for k, l := range res.Listings {
				w := want[k]
				got := row{l.Channel + "/" + l.SKU, l.Price.Decimal.StringFixed(2), l.Quantity.Units}
				if got != w || !l.Price.Valid || !l.Quantity.Valid {
					t.Errorf("listing %d = %+v (valid price %v, quantity %v), want %+v", k, got, l.Price.Valid, l.Quantity.Valid, w)
					if bad++; bad > 5 {
						t.FailNow()
					}
				}
			}
			checkFindings(t, res.Findings, nil)
		})
	}
}

// TestOptionsSKUs restricts a derivation to some SKUs.
func TestOptionsSKUs(t *testing.T) {
	s := load(t, chShop+chAmz+catalogBlock+`
price_matrix "m" {
}`, "sku,price\nA-1,1.00\nB-2,2.00\nC-3,3.00\n")
	res := derive.Derive(s, derive.Options{At: beforeBF, SKUs: []string{"C-3", "A-1", "NOPE"}})
	if got, want := listingKeys(res), "[amz/A-1 amz/C-3 shop/A-1 shop/C-3]"; got != want {
		t.Errorf("listings = %s, want %s", got, want)
	}
}
