package derive_test

import (
	"testing"

	"github.com/accordhq/accord/spec/derive"
)

// Steps 1, 3 and 4 of the contract's price derivation (no promotion):
//
//	regular = override price (as written), else price adjusted by adjust, x fx_rate
//	floor   = max(map x fx (map_floor and map set), cost x fx / (1 - min_margin))
//	a regular price under its floor: below_floor error
//	rounding "none": half-up to the minor unit; under the floor: the floor
//	rounded up to the minor unit. Ending "0.99": the largest price <= value
//	ending in .99; under the floor: the smallest price >= floor ending in .99.
func TestRegularPrice(t *testing.T) {
	cases := []priceCase{
		{
			// shop: no adjust: 39.99.
			// amz "+8%": 39.99 x 1.08 = 43.1892 -> half-up 43.19.
			name: "adjust as a percentage",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+8%"
  }
}`,
			csv: "sku,price\nA-1,39.99\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "39.99", Currency: "USD"},
				{Channel: "amz", SKU: "A-1", Price: "43.19", Currency: "USD"},
			},
		},
		{
			// amz "+2.00": 39.99 + 2.00 = 41.99.
			// shop "-1.50": 39.99 - 1.50 = 38.49.
			// ebay "-5%": 39.99 x 0.95 = 37.9905 -> 37.99.
			name: "adjust as an amount, up and down",
			hcl: chShop + chAmz + chEbay + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+2.00"
  }
  channel "shop" {
    adjust = "-1.50"
  }
  channel "ebay" {
    adjust = "-5%"
  }
}`,
			csv: "sku,price\nA-1,39.99\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "41.99"},
				{Channel: "shop", SKU: "A-1", Price: "38.49"},
				{Channel: "ebay", SKU: "A-1", Price: "37.99"},
			},
		},
		{
			// eu, fx 0.9 EUR per USD.
			// A-1, no adjust: 39.99 x 0.9 = 35.991 -> 35.99 EUR.
			// With adjust "+2.00" (catalog currency, applied before fx):
			// B-2: (19.99 + 2.00) x 0.9 = 19.791 -> 19.79
			// (fx before the amount would give 17.991 + 2 = 19.991 -> 19.99).
			name: "fx_rate after adjust",
			hcl: chShop + chEU + catalogBlock + `
price_matrix "m" {
  skus = ["A-1"]
}
price_matrix "adjusted" {
  skus = ["B-2"]
  channel "eu" {
    adjust = "+2.00"
  }
}`,
			csv: "sku,price\nA-1,39.99\nB-2,19.99\n",
			want: []wantPrice{
				{Channel: "eu", SKU: "A-1", Price: "35.99", Currency: "EUR"},
				{Channel: "shop", SKU: "A-1", Price: "39.99", Currency: "USD"},
				{Channel: "eu", SKU: "B-2", Price: "19.79", Currency: "EUR"},
				{Channel: "shop", SKU: "B-2", Price: "19.99", Currency: "USD"},
			},
		},
		{
			// Overrides are used exactly as written: no adjust, fx or rounding.
			// amz: 44.00 (adjust +8% and rounding 0.99 would give 42.99).
			// eu:  41.50 EUR (not 41.50 x 0.9, not 40.99).
			// shop (no override): 39.50 -> rounding 0.99 -> 38.99.
			name: "override used exactly as written",
			hcl: chShop + chAmz + chEU + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
  channel "amz" {
    adjust = "+8%"
  }
  override {
    sku     = "A-1"
    channel = "amz"
    price   = 44.00
  }
  override {
    sku     = "A-1"
    channel = "eu"
    price   = 41.50
  }
}`,
			csv: "sku,price\nA-1,39.50\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "44.00"},
				{Channel: "eu", SKU: "A-1", Price: "41.50", Currency: "EUR"},
				{Channel: "shop", SKU: "A-1", Price: "38.99"},
			},
		},
		{
			// An override under the SKU's floor (map 29.99) is a below_floor
			// error, and is still used as written: 25.00. shop: 30.00.
			name: "override under the floor is below_floor",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  override {
    sku     = "A-1"
    channel = "amz"
    price   = 25.00
  }
}`,
			csv:      "sku,price,map\nA-1,30.00,29.99\n",
			want:     []wantPrice{{Channel: "amz", SKU: "A-1", Price: "25.00"}, {Channel: "shop", SKU: "A-1", Price: "30.00"}},
			findings: []wantFinding{errorF(derive.CodeBelowFloor, "amz", "A-1")},
		},
		{
			// rounding "none" is half-up at the half cent:
			// shop "+0.05%": 10.00 x 1.0005 = 10.005 -> 10.01
			// amz  "+0.04%": 10.00 x 1.0004 = 10.004 -> 10.00
			// ebay "-50%":   20.01 x 0.5   = 10.005 -> 10.01 (B-2)
			name: "rounding none is half-up to the cent",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  rounding = "none"
  skus     = ["A-1"]
  channel "shop" {
    adjust = "+0.05%"
  }
  channel "amz" {
    adjust = "+0.04%"
  }
}
price_matrix "half" {
  skus = ["B-2"]
  channel "shop" {
    adjust = "-50%"
  }
}`,
			csv: "sku,price\nA-1,10.00\nB-2,20.01\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "10.01"},
				{Channel: "amz", SKU: "A-1", Price: "10.00"},
				{Channel: "shop", SKU: "B-2", Price: "10.01"},
				{Channel: "amz", SKU: "B-2", Price: "20.01"},
			},
		},
		{
			// rounding "0.99": the largest price <= the value ending in .99.
			// A-1 43.50 -> 42.99; B-2 43.99 -> 43.99 (already on the ending);
			// C-3 44.00 -> 43.99.
			name: "rounding 0.99 goes down",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
}`,
			csv: "sku,price\nA-1,43.50\nB-2,43.99\nC-3,44.00\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "42.99"},
				{Channel: "shop", SKU: "B-2", Price: "43.99"},
				{Channel: "shop", SKU: "C-3", Price: "43.99"},
			},
		},
		{
			// rounding "0.99" under the floor: the next .99 above the floor.
			// 30.50 -> 29.99 < map 30.20 -> smallest .99 >= 30.20 = 30.99.
			//      30.50 >= 30.20, so no below_floor.
			// B-2: 30.50 -> 29.99 >= map 29.99: stays 29.99.
			// C-3: cost 25.00, min_margin 20%: floor 25 / 0.8 = 31.25;
			//      regular 31.50 -> 30.99 < 31.25 -> 31.99.
			name: "rounding 0.99 under the floor goes to the next .99",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding   = "0.99"
  min_margin = "20%"
}`,
			csv: "sku,price,map,cost\nA-1,30.50,30.20,\nB-2,30.50,29.99,\nC-3,31.50,,25.00\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "30.99"},
				{Channel: "shop", SKU: "B-2", Price: "29.99"},
				{Channel: "shop", SKU: "C-3", Price: "31.99"},
			},
		},
		{
			// jp: JPY has no minor unit; fx 150. The matrix's "0.99" cannot be
			// yen, so jp has its own rounding "none" (half-up to the yen).
			// 39.99 x 150 = 5998.5 -> 5999 JPY.   shop: 39.99 -> 39.99.
			// B-2: 12.34 x 150 = 1851.0 -> 1851 JPY.   shop: 12.34 -> 11.99.
			// C-3: 10.00 x 150 = 1500; map 10.01 x 150 = 1501.5 -> below_floor;
			//      the floor rounded up to the yen: 1502. shop: 10.00 -> 9.99
			//      < 10.01 -> 10.99, and 10.00 < 10.01 is below_floor too.
			name: "zero-decimal currency with its own rounding",
			hcl: chShop + chJP + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
  channel "jp" {
    rounding = "none"
  }
}`,
			csv: "sku,price,map\nA-1,39.99,\nB-2,12.34,\nC-3,10.00,10.01\n",
			want: []wantPrice{
				{Channel: "jp", SKU: "A-1", Price: "5999", Currency: "JPY"},
				{Channel: "shop", SKU: "A-1", Price: "39.99"},
				{Channel: "jp", SKU: "B-2", Price: "1851", Currency: "JPY"},
				{Channel: "shop", SKU: "B-2", Price: "11.99"},
				{Channel: "jp", SKU: "C-3", Price: "1502", Currency: "JPY"},
				{Channel: "shop", SKU: "C-3", Price: "10.99"},
			},
			findings: []wantFinding{
				errorF(derive.CodeBelowFloor, "jp", "C-3"),
				errorF(derive.CodeBelowFloor, "shop", "C-3"),
			},
		},
		{
			// jp with a yen price ending "80" (period 100):
			// 39.99 x 150 = 5998.5 -> largest ...80 <= 5998.5 = 5980.
			// B-2: 10.00 x 150 = 1500 -> 1480; map 9.90 x 150 = 1485 -> 1480
			//      is under it: the smallest ...80 >= 1485 = 1580.
			name: "zero-decimal currency with a price ending",
			hcl: chShop + chJP + catalogBlock + `
price_matrix "m" {
  channel "jp" {
    rounding = "80"
  }
}`,
			csv: "sku,price,map\nA-1,39.99,\nB-2,10.00,9.90\n",
			want: []wantPrice{
				{Channel: "jp", SKU: "A-1", Price: "5980"},
				{Channel: "shop", SKU: "A-1", Price: "39.99"},
				{Channel: "jp", SKU: "B-2", Price: "1580"},
				{Channel: "shop", SKU: "B-2", Price: "10.00"},
			},
		},
		{
			// MAP floor (map_floor defaults to true), rounding "none".
			// A-1, map 39.00:
			//   amz:  40.00 x 0.95 ("-5%") = 38.00 < 39.00: below_floor, and the
			//         rounded price is held at the floor: 39.00.
			//   shop: 40.00 >= 39.00: 40.00.
			//   eu:   40.00 x 0.9 = 36.00 EUR >= 39.00 x 0.9 = 35.10: 36.00.
			// B-2, map 36.50:
			//   amz:  36.00 x 0.95 = 34.20 < 36.50: below_floor, 36.50.
			//   shop: 36.00 < 36.50: below_floor, 36.50.
			//   eu:   36.00 x 0.9 = 32.40 < 36.50 x 0.9 = 32.85: below_floor, 32.85.
			name: "MAP floor",
			hcl: chShop + chAmz + chEU + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "-5%"
  }
}`,
			csv: "sku,price,map\nA-1,40.00,39.00\nB-2,36.00,36.50\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "39.00"},
				{Channel: "shop", SKU: "A-1", Price: "40.00"},
				{Channel: "eu", SKU: "A-1", Price: "36.00"},
				{Channel: "amz", SKU: "B-2", Price: "36.50"},
				{Channel: "shop", SKU: "B-2", Price: "36.50"},
				{Channel: "eu", SKU: "B-2", Price: "32.85"},
			},
			findings: []wantFinding{
				errorF(derive.CodeBelowFloor, "amz", "A-1"),
				errorF(derive.CodeBelowFloor, "amz", "B-2"),
				errorF(derive.CodeBelowFloor, "shop", "B-2"),
				errorF(derive.CodeBelowFloor, "eu", "B-2"),
			},
		},
		{
			// map_floor = false: map 39.00 is ignored; amz 40.00 x 0.95 = 38.00.
			name: "map_floor false ignores map",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  map_floor = false
  channel "amz" {
    adjust = "-5%"
  }
}`,
			csv:  "sku,price,map\nA-1,40.00,39.00\n",
			want: []wantPrice{{Channel: "amz", SKU: "A-1", Price: "38.00"}},
		},
		{
			// min_margin 15%: floor = cost / (1 - 0.15) = cost / 0.85.
			// cost 31.00 -> 36.470588...; price 35.00 < floor: below_floor,
			//      and the floor rounded up to the cent: 36.48 (not half-up 36.47).
			// B-2: cost 17.00 -> 20.00 exactly; price 19.99 -> below_floor, 20.00.
			// C-3: cost 17.00 -> 20.00; price 20.00: at the floor, fine.
			// D-4: no cost: no margin floor; 5.00.
			name: "min_margin floor",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  min_margin = "15%"
}`,
			csv: "sku,price,cost\nA-1,35.00,31.00\nB-2,19.99,17.00\nC-3,20.00,17.00\nD-4,5.00,\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "36.48"},
				{Channel: "shop", SKU: "B-2", Price: "20.00"},
				{Channel: "shop", SKU: "C-3", Price: "20.00"},
				{Channel: "shop", SKU: "D-4", Price: "5.00"},
			},
			findings: []wantFinding{
				errorF(derive.CodeBelowFloor, "shop", "A-1"),
				errorF(derive.CodeBelowFloor, "shop", "B-2"),
			},
		},
		{
			// The floor is the larger of MAP and the margin floor, times fx.
			// min_margin 10%: margin floor = cost / 0.9.
			// map 30.00; cost 28.80 / 0.9 = 32.00 > 30.00: floor 32.00.
			//      shop: 31.00 < 32.00: below_floor, 32.00.
			//      eu: 31.00 x 0.9 = 27.90 < 32.00 x 0.9 = 28.80: below_floor, 28.80.
			// B-2: map 34.00 > 28.80 / 0.9 = 32.00: floor 34.00; price 33.00:
			//      below_floor, shop 34.00, eu 30.60.
			name: "floor is the larger of MAP and margin, times fx",
			hcl: chShop + chEU + catalogBlock + `
price_matrix "m" {
  min_margin = "10%"
}`,
			csv: "sku,price,map,cost\nA-1,31.00,30.00,28.80\nB-2,33.00,34.00,28.80\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "32.00"},
				{Channel: "eu", SKU: "A-1", Price: "28.80"},
				{Channel: "shop", SKU: "B-2", Price: "34.00"},
				{Channel: "eu", SKU: "B-2", Price: "30.60"},
			},
			findings: []wantFinding{
				errorF(derive.CodeBelowFloor, "shop", "A-1"),
				errorF(derive.CodeBelowFloor, "eu", "A-1"),
				errorF(derive.CodeBelowFloor, "shop", "B-2"),
				errorF(derive.CodeBelowFloor, "eu", "B-2"),
			},
		},
		{
			// The matrix prices only A-1: 5.00. (B-2 is in no matrix.)
			name: "SKU in no matrix is unpriced",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  skus = ["A-1"]
}`,
			csv:  "sku,price\nA-1,5.00\nB-2,6.00\n",
			want: []wantPrice{{Channel: "shop", SKU: "A-1", Price: "5.00"}},
		},
	}
	runPriceCases(t, cases)
}
