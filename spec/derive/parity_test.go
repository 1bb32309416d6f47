package derive_test

import (
	"testing"

	"github.com/accordhq/accord/spec/derive"
)

// Step 5 of the contract, parity:
//
//	limit = min over against channels of their final price (in c's currency)
//	        x (1 + max_gap)
//	c's price > limit: match lowers it to the largest rounded price <= limit
//	(under c's floor: parity_unresolvable error); block: parity_violation
//	error; warn: parity_violation warning.
func TestParity(t *testing.T) {
	// shop 40.00; amz "+10%" = 44.00; amz protected against shop, 5%:
	// limit = 40.00 x 1.05 = 42.00 < 44.00.
	rule := func(action string) string {
		return chShop + chAmz + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+10%"
  }
}
parity "fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "` + action + `"
}`
	}
	cases := []priceCase{
		{
			// match: largest cent <= 42.00 = 42.00.
			name: "match lowers to the limit",
			hcl:  rule("match"),
			csv:  "sku,price\nA-1,40.00\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "42.00"},
				{Channel: "shop", SKU: "A-1", Price: "40.00"},
			},
		},
		{
			// on_violation defaults to match: amz 44.00 -> 42.00 as above.
			name: "on_violation defaults to match",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+10%"
  }
}
parity "fair" {
  channel = "amz"
  against = ["shop"]
  max_gap = "5%"
}`,
			csv:  "sku,price\nA-1,40.00\n",
			want: []wantPrice{{Channel: "amz", SKU: "A-1", Price: "42.00"}},
		},
		{
			// block: 44.00 stays, parity_violation error.
			name:     "block is an error",
			hcl:      rule("block"),
			csv:      "sku,price\nA-1,40.00\n",
			want:     []wantPrice{{Channel: "amz", SKU: "A-1", Price: "44.00"}},
			findings: []wantFinding{errorF(derive.CodeParityViolation, "amz", "A-1")},
		},
		{
			// warn: 44.00 stays, parity_violation warning.
			name:     "warn is a warning",
			hcl:      rule("warn"),
			csv:      "sku,price\nA-1,40.00\n",
			want:     []wantPrice{{Channel: "amz", SKU: "A-1", Price: "44.00"}},
			findings: []wantFinding{warnF(derive.CodeParityViolation, "amz", "A-1")},
		},
		{
			// amz "+5%": 40.00 x 1.05 = 42.00 = limit: not above it, so even
			// on_violation = "block" finds nothing.
			// B-2: 20.00 x 1.05 = 21.00 = 20.00 x 1.05: likewise.
			name: "exactly at the limit is fine",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+5%"
  }
}
parity "fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "block"
}`,
			csv: "sku,price\nA-1,40.00\nB-2,20.00\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "42.00"},
				{Channel: "amz", SKU: "B-2", Price: "21.00"},
			},
			findings: nil, // no parity finding at all
		},
		{
			// rounding 0.99: shop 40.00 -> 39.99; amz 44.00 -> 43.99.
			// limit = 39.99 x 1.05 = 41.9895; largest .99 <= 41.9895 = 40.99.
			name: "match to the largest rounded price under the limit",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
  channel "amz" {
    adjust = "+10%"
  }
}
parity "fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv:  "sku,price\nA-1,40.00\n",
			want: []wantPrice{{Channel: "amz", SKU: "A-1", Price: "40.99"}, {Channel: "shop", SKU: "A-1", Price: "39.99"}},
		},
		{
			// rounding "none": shop 39.99; amz 40.00 x 1.10 = 44.00.
			// limit = 39.99 x 1.05 = 41.9895: the largest cent <= it is 41.98
			// (half-up 41.99 would be over the limit).
			name: "match with rounding none cuts down to the cent",
			hcl:  rule("match"),
			csv:  "sku,price\nA-1,39.99\n",
			want: []wantPrice{{Channel: "amz", SKU: "A-1", Price: "41.98"}, {Channel: "shop", SKU: "A-1", Price: "39.99"}},
		},
		{
			// map 40.50 is the floor on both channels. shop rounds "none":
			// 40.60. amz rounds "0.99": 40.60 x 1.10 = 44.66 -> 43.99.
			// limit = 40.60 x 1.005 = 40.803; the largest .99 <= 40.803 is
			// 39.99, under the floor 40.50: parity_unresolvable.
			name: "match under the floor is unresolvable",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
  channel "shop" {
    rounding = "none"
  }
  channel "amz" {
    adjust = "+10%"
  }
}
parity "fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "0.5%"
  on_violation = "match"
}`,
			csv:      "sku,price,map\nA-1,40.60,40.50\n",
			want:     []wantPrice{{Channel: "shop", SKU: "A-1", Price: "40.60"}},
			findings: []wantFinding{errorF(derive.CodeParityUnresolvable, "amz", "A-1")},
		},
		{
			// Against several channels, the minimum counts.
			// shop 40.00; ebay "-5%" = 38.00; amz "+10%" = 44.00.
			// limit = min(40.00, 38.00) x 1.05 = 39.90 -> amz 39.90.
			name: "against several channels uses the minimum",
			hcl: chShop + chAmz + chEbay + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+10%"
  }
  channel "ebay" {
    adjust = "-5%"
  }
}
parity "fair" {
  channel      = "amz"
  against      = ["shop", "ebay"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv: "sku,price\nA-1,40.00\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "39.90"},
				{Channel: "ebay", SKU: "A-1", Price: "38.00"},
				{Channel: "shop", SKU: "A-1", Price: "40.00"},
			},
		},
		{
			// Across currencies, converted through fx (shop 40.00 USD):
			// eu: 40.00 x 1.10 x 0.9 = 39.60 EUR; shop in EUR 40.00 x 0.9 =
			//     36.00; limit 36.00 x 1.05 = 37.80 -> eu 37.80.
			// jp: 40.00 x 1.10 x 150 = 6600 JPY; shop in JPY 6000; limit 6300
			//     -> jp 6300.
			name: "protected channel in another currency",
			hcl: chShop + chEU + chJP + catalogBlock + `
price_matrix "m" {
  channel "eu" {
    adjust = "+10%"
  }
  channel "jp" {
    adjust = "+10%"
  }
}
parity "eu_fair" {
  channel      = "eu"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}
parity "jp_fair" {
  channel      = "jp"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv: "sku,price\nA-1,40.00\n",
			want: []wantPrice{
				{Channel: "eu", SKU: "A-1", Price: "37.80", Currency: "EUR"},
				{Channel: "jp", SKU: "A-1", Price: "6300", Currency: "JPY"},
				{Channel: "shop", SKU: "A-1", Price: "40.00"},
			},
		},
		{
			// The reference in another currency: eu "-10%" = 40.00 x 0.9 x 0.9
			// = 32.40 EUR = 32.40 / 0.9 = 36.00 USD; limit 36.00 x 1.05 = 37.80;
			// shop 40.00 -> 37.80.
			name: "reference channel in another currency",
			hcl: chShop + chEU + catalogBlock + `
price_matrix "m" {
  channel "eu" {
    adjust = "-10%"
  }
}
parity "fair" {
  channel      = "shop"
  against      = ["eu"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv: "sku,price\nA-1,40.00\n",
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "37.80"},
				{Channel: "eu", SKU: "A-1", Price: "32.40"},
			},
		},
		{
			// Parity compares final prices, promotions included. shop runs
			// 20% off: 40.00 x 0.8 = 32.00 (compare_at 40.00). amz 40.00 >
			// 32.00 x 1.05 = 33.60: matched to 33.60. amz has no promotion,
			// so its compare_at is null.
			name: "against a channel on promotion",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
}
promotion "shop_sale" {` + bfWindow + `
  channels = ["shop"]
  discount = "20%"
}
parity "fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv: "sku,price\nA-1,40.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "32.00", CompareAt: "40.00", Promotion: "shop_sale"},
				{Channel: "amz", SKU: "A-1", Price: "33.60"},
			},
		},
		{
			// A chain, declared backwards: ebay against amz, amz against shop.
			// amz: 40.00 x 1.10 = 44.00 > 42.00 -> 42.00 (its final price).
			// ebay: 40.00 x 1.15 = 46.00 > 42.00 x 1.05 = 44.10 -> 44.10.
			// (Against amz's 44.00 before its match, 46.00 <= 46.20 would stay.)
			name: "chained rules use the final price",
			hcl: chShop + chAmz + chEbay + catalogBlock + `
price_matrix "m" {
  channel "amz" {
    adjust = "+10%"
  }
  channel "ebay" {
    adjust = "+15%"
  }
}
parity "ebay_fair" {
  channel      = "ebay"
  against      = ["amz"]
  max_gap      = "5%"
  on_violation = "match"
}
parity "amz_fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv: "sku,price\nA-1,40.00\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "42.00"},
				{Channel: "ebay", SKU: "A-1", Price: "44.10"},
			},
		},
	}
	runPriceCases(t, cases)
}

// Step 6: |price_c - price_anchor| / price_anchor in the catalog currency,
// above max_deviation: price_deviation error.
func TestMaxDeviation(t *testing.T) {
	cases := []priceCase{
		{
			// anchor shop 40.00; amz max_deviation 10% (bound 4.00 away).
			// A-1 amz 44.00: 4.00 / 40 = 10%: fine.
			// B-2 amz 44.01: 4.01 / 40 = 10.025%: price_deviation.
			// C-3 amz 36.00: 4.00 / 40 = 10%: fine.
			// D-4 amz 35.99: 4.01 / 40 = 10.025%: price_deviation.
			name: "bound against the anchor, both directions",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  anchor = "shop"
  channel "amz" {
    max_deviation = "10%"
  }
  override {
    sku     = "A-1"
    channel = "amz"
    price   = 44.00
  }
  override {
    sku     = "B-2"
    channel = "amz"
    price   = 44.01
  }
  override {
    sku     = "C-3"
    channel = "amz"
    price   = 36.00
  }
  override {
    sku     = "D-4"
    channel = "amz"
    price   = 35.99
  }
}`,
			csv: "sku,price\nA-1,40.00\nB-2,40.00\nC-3,40.00\nD-4,40.00\n",
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "44.00"},
				{Channel: "amz", SKU: "B-2", Price: "44.01"},
				{Channel: "amz", SKU: "C-3", Price: "36.00"},
				{Channel: "amz", SKU: "D-4", Price: "35.99"},
			},
			findings: []wantFinding{
				errorF(derive.CodePriceDeviation, "amz", "B-2"),
				errorF(derive.CodePriceDeviation, "amz", "D-4"),
			},
		},
		{
			// In the catalog currency: eu (0.9 EUR per USD), anchor shop 40.00.
			// A-1 eu 39.60 EUR = 44.00 USD: 10%: fine.
			// B-2 eu 39.61 EUR = 44.0111 USD: 10.03%: price_deviation.
			// C-3 eu 40.00 x 0.9 = 36.00 EUR = 40.00 USD: 0%: fine.
			// (In EUR without conversion, 39.60 vs 40.00 is 1%: B-2 would pass.)
			name: "deviation across currencies",
			hcl: chShop + chEU + catalogBlock + `
price_matrix "m" {
  anchor = "shop"
  channel "eu" {
    max_deviation = "10%"
  }
  override {
    sku     = "A-1"
    channel = "eu"
    price   = 39.60
  }
  override {
    sku     = "B-2"
    channel = "eu"
    price   = 39.61
  }
}`,
			csv: "sku,price\nA-1,40.00\nB-2,40.00\nC-3,40.00\n",
			want: []wantPrice{
				{Channel: "eu", SKU: "A-1", Price: "39.60"},
				{Channel: "eu", SKU: "B-2", Price: "39.61"},
				{Channel: "eu", SKU: "C-3", Price: "36.00"},
			},
			findings: []wantFinding{errorF(derive.CodePriceDeviation, "eu", "B-2")},
		},
		{
			// The anchor's final price includes its promotion: shop 40.00 x 0.8
			// = 32.00; amz 40.00: |40 - 32| / 32 = 25% > 10%: price_deviation.
			name: "promotion on the anchor only",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  anchor = "shop"
  channel "amz" {
    max_deviation = "10%"
  }
}
promotion "shop_sale" {` + bfWindow + `
  channels = ["shop"]
  discount = "20%"
}`,
			csv: "sku,price\nA-1,40.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "32.00", CompareAt: "40.00", Promotion: "shop_sale"},
				{Channel: "amz", SKU: "A-1", Price: "40.00"},
			},
			findings: []wantFinding{errorF(derive.CodePriceDeviation, "amz", "A-1")},
		},
		{
			// Deviation is checked after parity: amz "+20%" = 48.00 (20% away)
			// is matched to 40.00 x 1.05 = 42.00, which is 5% away: fine.
			name: "deviation after parity",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  anchor = "shop"
  channel "amz" {
    adjust        = "+20%"
    max_deviation = "10%"
  }
}
parity "fair" {
  channel      = "amz"
  against      = ["shop"]
  max_gap      = "5%"
  on_violation = "match"
}`,
			csv:  "sku,price\nA-1,40.00\n",
			want: []wantPrice{{Channel: "amz", SKU: "A-1", Price: "42.00"}},
		},
	}
	runPriceCases(t, cases)
}
