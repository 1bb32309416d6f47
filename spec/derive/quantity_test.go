package derive_test

import (
	"testing"

	"github.com/accordhq/accord/spec/derive"
)

// The contract's quantity, for channel c and SKU s of a pool:
//
//	A      = max(0, on_hand(s) - safety_stock)
//	others = sum of reserve over the pool's channels other than c
//	base   = max(0, A - others)
//	if low_stock is set and A < threshold and c not in low_stock.channels: q = 0
//	else: q = floor(base * (1 - buffer_c)); if max_c is set, q = min(q, max_c)
//
// and, an accord addition, buffer = N (a number) withholds N whole units.

// quantitySpec has three channels, two SKUs, one warehouse and a price
// matrix, so that a pair in no pool still has a listing (its price) whose
// quantity must be null.
func quantitySpec(pools string) string {
	return chShop + chAmz + chEbay + catalogBlock + stockBlock + `
stock_source "eu_wh" {
  type = "file"
  file = "eu-stock.csv"
}

price_matrix "all" {
  rounding = "none"
}
` + pools
}

const quantityCSV = `sku,price
A-1,10.00
B-2,20.00
`

// unmanaged is the expected Units of a null (unmanaged) quantity.
const unmanaged = -1

func TestQuantity(t *testing.T) {
	type want map[string]int64 // "channel/sku" -> units, or unmanaged
	cases := []struct {
		name     string
		pools    string
		stock    stockMap
		want     want
		findings []wantFinding
	}{
		{
			// A = max(0, 20 - 3) = 17; no reserves, buffers or caps: 17 everywhere.
			// B-2: A = max(0, 2 - 3) = 0.
			name: "safety stock",
			pools: `
pool "main" {
  source       = "wh"
  channels     = ["shop", "amz", "ebay"]
  safety_stock = 3
}`,
			stock: stockMap{"wh": {"A-1": 20, "B-2": 2}},
			want: want{"shop/A-1": 17, "amz/A-1": 17, "ebay/A-1": 17,
				"shop/B-2": 0, "amz/B-2": 0, "ebay/B-2": 0},
		},
		{
			// on_hand 20, safety 0: A = 20. Reserves: amz 5, ebay 2.
			// shop: others = 5 + 2 = 7 -> base = 13
			// amz:  others = 2        -> base = 18
			// ebay: others = 5        -> base = 15
			name: "reserves of the other channels",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "amz" {
    reserve = 5
  }
  channel "ebay" {
    reserve = 2
  }
}`,
			stock: stockMap{"wh": {"A-1": 20}},
			want:  want{"shop/A-1": 13, "amz/A-1": 18, "ebay/A-1": 15},
		},
		{
			// on_hand 6: A = 6. Reserves: amz 5, ebay 4 (9 in all, more than stock).
			// shop: others = 9 -> base = max(0, 6 - 9) = 0
			// amz:  others = 4 -> base = 2
			// ebay: others = 5 -> base = 1
			name: "reserves larger than the stock give 0",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "amz" {
    reserve = 5
  }
  channel "ebay" {
    reserve = 4
  }
}`,
			stock: stockMap{"wh": {"A-1": 6}},
			want:  want{"shop/A-1": 0, "amz/A-1": 2, "ebay/A-1": 1},
		},
		{
			// A = 17.
			// amz  buffer 10%: floor(17 x 0.90) = floor(15.3)  = 15
			// ebay buffer 12%: floor(17 x 0.88) = floor(14.96) = 14 (not 15)
			// shop no buffer:  17
			name: "percentage buffer floors",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "amz" {
    buffer = "10%"
  }
  channel "ebay" {
    buffer = "12%"
  }
}`,
			stock: stockMap{"wh": {"A-1": 17}},
			want:  want{"shop/A-1": 17, "amz/A-1": 15, "ebay/A-1": 14},
		},
		{
			// buffer = N is N whole units (not N%): A = 17.
			// amz  buffer 3:  17 - 3 = 14   (3% would give floor(16.49) = 16)
			// ebay buffer 20: max(0, 17 - 20) = 0
			name: "unit buffer",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "amz" {
    buffer = 3
  }
  channel "ebay" {
    buffer = 20
  }
}`,
			stock: stockMap{"wh": {"A-1": 17}},
			want:  want{"shop/A-1": 17, "amz/A-1": 14, "ebay/A-1": 0},
		},
		{
			// A = 17. amz max 10: min(17, 10) = 10. ebay max 50: min(17, 50) = 17.
			// shop max 0: min(17, 0) = 0.
			name: "max caps",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "amz" {
    max = 10
  }
  channel "ebay" {
    max = 50
  }
  channel "shop" {
    max = 0
  }
}`,
			stock: stockMap{"wh": {"A-1": 17}},
			want:  want{"shop/A-1": 0, "amz/A-1": 10, "ebay/A-1": 17},
		},
		{
			// on_hand 30, safety 2: A = 28. ebay reserve 4.
			// amz:  others 4 -> base 24 -> floor(24 x 0.9) = floor(21.6) = 21 -> min(21, 20) = 20
			// shop: others 4 -> base 24
			// ebay: others 0 -> base 28
			name: "safety, reserve, buffer and max together",
			pools: `
pool "main" {
  source       = "wh"
  channels     = ["shop", "amz", "ebay"]
  skus         = ["A-1"]
  safety_stock = 2
  channel "amz" {
    buffer = "10%"
    max    = 20
  }
  channel "ebay" {
    reserve = 4
  }
}`,
			stock: stockMap{"wh": {"A-1": 30}},
			want:  want{"shop/A-1": 24, "amz/A-1": 20, "ebay/A-1": 28},
		},
		{
			// on_hand 11, safety 2: A = 9 < threshold 10 (on_hand itself is not).
			// shop is in low_stock.channels: q = 9; amz and ebay: 0.
			name: "low stock: below the threshold only listed channels keep listing",
			pools: `
pool "main" {
  source       = "wh"
  channels     = ["shop", "amz", "ebay"]
  skus         = ["A-1"]
  safety_stock = 2
  low_stock {
    threshold = 10
    channels  = ["shop"]
  }
}`,
			stock: stockMap{"wh": {"A-1": 11}},
			want:  want{"shop/A-1": 9, "amz/A-1": 0, "ebay/A-1": 0},
		},
		{
			// on_hand 12, safety 2: A = 10, not < 10: every channel lists 10.
			name: "low stock: exactly at the threshold every channel lists",
			pools: `
pool "main" {
  source       = "wh"
  channels     = ["shop", "amz", "ebay"]
  skus         = ["A-1"]
  safety_stock = 2
  low_stock {
    threshold = 10
    channels  = ["shop"]
  }
}`,
			stock: stockMap{"wh": {"A-1": 12}},
			want:  want{"shop/A-1": 10, "amz/A-1": 10, "ebay/A-1": 10},
		},
		{
			// The threshold is against A, not base: on_hand 12 -> A = 12 >= 10,
			// so nobody is throttled although amz's base is 12 - 5 = 7 < 10.
			// shop: others 5 -> 7; amz: others 5 -> 7; ebay: others 0 -> 12.
			name: "low stock compares A, before reserves",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "ebay" {
    reserve = 5
  }
  low_stock {
    threshold = 10
    channels  = ["shop"]
  }
}`,
			stock: stockMap{"wh": {"A-1": 12}},
			want:  want{"shop/A-1": 7, "amz/A-1": 7, "ebay/A-1": 12},
		},
		{
			// A = 8 < 10, shop keeps listing: base = 8 - 3 (ebay reserve) = 5,
			// then shop buffer 20%: floor(5 x 0.8) = 4. amz and ebay: 0, even
			// though ebay has a reserve.
			name: "low stock: a listed channel still applies reserve and buffer",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz", "ebay"]
  skus     = ["A-1"]
  channel "shop" {
    buffer = "20%"
  }
  channel "ebay" {
    reserve = 3
  }
  low_stock {
    threshold = 10
    channels  = ["shop"]
  }
}`,
			stock: stockMap{"wh": {"A-1": 8}},
			want:  want{"shop/A-1": 4, "amz/A-1": 0, "ebay/A-1": 0},
		},
		{
			// Oversold stock: on_hand -4, safety 1: A = max(0, -4 - 1) = 0;
			// base = max(0, 0 - 2) = 0 for shop (amz reserves 2): 0 everywhere.
			name: "negative on hand lists 0",
			pools: `
pool "main" {
  source       = "wh"
  channels     = ["shop", "amz", "ebay"]
  skus         = ["A-1"]
  safety_stock = 1
  channel "amz" {
    reserve = 2
  }
}`,
			stock: stockMap{"wh": {"A-1": -4}},
			want:  want{"shop/A-1": 0, "amz/A-1": 0, "ebay/A-1": 0},
		},
		{
			// B-2 has no record in wh: on_hand counts as 0, so A = max(0, 0 - 1) = 0
			// and every channel lists 0, with a stock_missing warning.
			// A = 5 - 1 = 4.
			name: "on_hand missing counts as 0 with a warning",
			pools: `
pool "main" {
  source       = "wh"
  channels     = ["shop", "amz", "ebay"]
  safety_stock = 1
}`,
			stock: stockMap{"wh": {"A-1": 5}},
			want: want{"shop/A-1": 4, "amz/A-1": 4, "ebay/A-1": 4,
				"shop/B-2": 0, "amz/B-2": 0, "ebay/B-2": 0},
			findings: []wantFinding{warnF(derive.CodeStockMissing, anyValue, "B-2")},
		},
		{
			// The pool holds shop and amz, for A-1 only: ebay and B-2 are in no
			// pool, so their quantity is null (they are still listed for price).
			name: "a pair in no pool is unmanaged",
			pools: `
pool "main" {
  source   = "wh"
  channels = ["shop", "amz"]
  skus     = ["A-1"]
}`,
			stock: stockMap{"wh": {"A-1": 9, "B-2": 9}},
			want: want{"shop/A-1": 9, "amz/A-1": 9, "ebay/A-1": unmanaged,
				"shop/B-2": unmanaged, "amz/B-2": unmanaged, "ebay/B-2": unmanaged},
		},
		{
			// Each pool reads its own source: us (shop, amz) from wh, where A-1
			// has 10; eu (ebay) from eu_wh, where A-1 has 4. The reserve of shop
			// (3) counts only against amz, its pool mate: amz = 10 - 3 = 7, shop
			// = 10, ebay = 4.
			name: "pools read their own source and reserves stay in the pool",
			pools: `
pool "us" {
  source   = "wh"
  channels = ["shop", "amz"]
  skus     = ["A-1"]
  channel "shop" {
    reserve = 3
  }
}
pool "eu" {
  source   = "eu_wh"
  channels = ["ebay"]
  skus     = ["A-1"]
}`,
			stock: stockMap{"wh": {"A-1": 10}, "eu_wh": {"A-1": 4}},
			want:  want{"shop/A-1": 10, "amz/A-1": 7, "ebay/A-1": 4},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, quantitySpec(tc.pools), quantityCSV)
			res := derive.Derive(s, derive.Options{At: beforeBF, Stock: tc.stock})
			for key, units := range tc.want {
				var ch, sku string
				for i := range key {
					if key[i] == '/' {
						ch, sku = key[:i], key[i+1:]
					}
				}
				l := mustFind(t, res, ch, sku)
				switch {
				case units == unmanaged && l.Quantity.Valid:
					t.Errorf("%s quantity = %d, want null (in no pool)", key, l.Quantity.Units)
				case units != unmanaged && !l.Quantity.Valid:
					t.Errorf("%s quantity = null, want %d", key, units)
				case units != unmanaged && l.Quantity.Units != units:
					t.Errorf("%s quantity = %d, want %d", key, l.Quantity.Units, units)
				}
			}
			checkFindings(t, res.Findings, tc.findings)
		})
	}
}

// TestListingOrder checks that listings come sorted by channel, then SKU,
// whatever the declaration order.
func TestListingOrder(t *testing.T) {
	s := load(t, chShop+chEbay+chAmz+catalogBlock+`
price_matrix "all" {
  rounding = "none"
}
`, "sku,price\nC-3,1.00\nA-1,1.00\nB-2,1.00\n")
	res := derive.Derive(s, derive.Options{At: beforeBF})
	got := listingKeys(res)
	want := "[amz/A-1 amz/B-2 amz/C-3 ebay/A-1 ebay/B-2 ebay/C-3 shop/A-1 shop/B-2 shop/C-3]"
	if got != want {
		t.Errorf("listings = %s, want %s", got, want)
	}
}

// stockFunc adapts a function to derive.Stock.
type stockFunc func(source, sku string) (int64, bool)

func (f stockFunc) OnHand(source, sku string) (int64, bool) { return f(source, sku) }

// TestQuantityMissingIgnoresUnits checks that a SKU the source has no record
// of counts as 0 on hand whatever units come with ok = false.
func TestQuantityMissingIgnoresUnits(t *testing.T) {
	s := load(t, quantitySpec(`
pool "main" {
  source   = "wh"
  channels = ["shop"]
}`), quantityCSV)
	stock := stockFunc(func(_, sku string) (int64, bool) {
		if sku == "A-1" {
			return 8, true
		}
		return 99, false // no record: the 99 means nothing
	})
	res := derive.Derive(s, derive.Options{At: beforeBF, Stock: stock})
	// 8. B-2: missing, counted as 0: A = 0 -> 0.
	if l := mustFind(t, res, "shop", "A-1"); !l.Quantity.Valid || l.Quantity.Units != 8 {
		t.Errorf("shop/A-1 quantity = %+v, want 8", l.Quantity)
	}
	if l := mustFind(t, res, "shop", "B-2"); !l.Quantity.Valid || l.Quantity.Units != 0 {
		t.Errorf("shop/B-2 quantity = %+v, want 0", l.Quantity)
	}
	checkFindings(t, res.Findings, []wantFinding{warnF(derive.CodeStockMissing, anyValue, "B-2")})
}
