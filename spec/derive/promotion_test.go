package derive_test

import (
	"testing"
	"time"

	"github.com/accordhq/accord/spec/derive"
)

// Step 2 of the contract, with the floors and rounding of steps 3 and 4:
//
//	the promotion: of those active at t (starts <= t < ends) covering c and s,
//	the highest priority; two at the same priority is promotion_conflict.
//	sale = regular x (1 - pct) | regular - amount x fx | fixed price x fx,
//	from the unrounded regular price.
//	sale floor = max(map x fx, cost x fx / (1 - min_margin), regular x (1 - max_discount));
//	a sale under it is raised to it (promotion_clamped warning).
//	compare_at = rounded regular while a promotion applies, else null.
//	A rounded sale not below the rounded regular: the promotion does not
//	apply (promotion_ineffective warning), compare_at null.

// bfWindow is the promotion window of most cases, in UTC (no settings block).
const bfWindow = `
  starts = "2026-11-27T00:00:00"
  ends   = "2026-12-01T00:00:00"
`

func TestPromotions(t *testing.T) {
	cases := []priceCase{
		{
			// 20% off 39.99 = 31.992 -> 31.99 on every channel (no channels
			// given); compare_at = rounded regular 39.99.
			name: "percent off",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  discount = "20%"
}`,
			csv: "sku,price\nA-1,39.99\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "31.99", CompareAt: "39.99", Promotion: "bf"},
				{Channel: "shop", SKU: "A-1", Price: "31.99", CompareAt: "39.99", Promotion: "bf"},
			},
		},
		{
			// The sale comes from the unrounded regular price. rounding 0.99:
			// regular 43.50 -> 42.99 (compare_at).
			// sale 43.50 x 0.9 = 39.15 -> 38.99.
			// (10% off the rounded 42.99 = 38.691 would give 37.99.)
			name: "percent off the unrounded regular",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
}
promotion "bf" {` + bfWindow + `
  discount = "10%"
}`,
			csv:  "sku,price\nA-1,43.50\n",
			at:   duringBF,
			want: []wantPrice{{Channel: "shop", SKU: "A-1", Price: "38.99", CompareAt: "42.99", Promotion: "bf"}},
		},
		{
			// "5.00" off, in the catalog currency, times fx:
			// shop: 39.99 - 5.00 = 34.99, compare_at 39.99.
			// eu:   regular 39.99 x 0.9 = 35.991 (-> 35.99);
			//       sale 35.991 - 5.00 x 0.9 = 31.491 -> 31.49.
			// jp:   regular 39.99 x 150 = 5998.5 (-> 5999);
			//       sale 5998.5 - 5.00 x 150 = 5248.5 -> 5249.
			name: "amount off times fx",
			hcl: chShop + chEU + chJP + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  discount = "5.00"
}`,
			csv: "sku,price\nA-1,39.99\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "34.99", CompareAt: "39.99", Promotion: "bf"},
				{Channel: "eu", SKU: "A-1", Price: "31.49", CompareAt: "35.99", Promotion: "bf", Currency: "EUR"},
				{Channel: "jp", SKU: "A-1", Price: "5249", CompareAt: "5999", Promotion: "bf", Currency: "JPY"},
			},
		},
		{
			// Fixed price 29.99 (catalog currency) times fx:
			// shop: 29.99, compare_at 39.99.
			// eu:   29.99 x 0.9 = 26.991 -> 26.99, compare_at 35.99.
			// jp:   29.99 x 150 = 4498.5 -> 4499, compare_at 5999.
			name: "fixed price times fx",
			hcl: chShop + chEU + chJP + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  price = 29.99
}`,
			csv: "sku,price\nA-1,39.99\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "29.99", CompareAt: "39.99", Promotion: "bf"},
				{Channel: "eu", SKU: "A-1", Price: "26.99", CompareAt: "35.99", Promotion: "bf"},
				{Channel: "jp", SKU: "A-1", Price: "4499", CompareAt: "5999", Promotion: "bf"},
			},
		},
		{
			// A promotion on an overridden regular price works from the
			// override: amz 44.00 x 0.9 = 39.60, compare_at 44.00.
			// shop: 40.00 x 0.9 = 36.00, compare_at 40.00.
			name: "promotion over an override",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  override {
    sku     = "A-1"
    channel = "amz"
    price   = 44.00
  }
}
promotion "bf" {` + bfWindow + `
  discount = "10%"
}`,
			csv: "sku,price\nA-1,40.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "39.60", CompareAt: "44.00", Promotion: "bf"},
				{Channel: "shop", SKU: "A-1", Price: "36.00", CompareAt: "40.00", Promotion: "bf"},
			},
		},
		{
			// priority: "high" (20%, priority 5) beats "low" (10%, priority 0)
			// and "low2" (15%, priority 0): 40.00 x 0.8 = 32.00. The two at
			// priority 0 are not the top priority, so there is no conflict.
			name: "highest priority wins",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
}
promotion "low" {` + bfWindow + `
  discount = "10%"
}
promotion "high" {` + bfWindow + `
  discount = "20%"
  priority = 5
}
promotion "low2" {` + bfWindow + `
  discount = "15%"
}`,
			csv:  "sku,price\nA-1,40.00\n",
			at:   duringBF,
			want: []wantPrice{{Channel: "shop", SKU: "A-1", Price: "32.00", CompareAt: "40.00", Promotion: "high"}},
		},
		{
			// Priority is decided per (channel, SKU): "amz_only" (priority 9)
			// does not cover shop, where "base" applies.
			// amz:  40.00 x 0.7 = 28.00 ("amz_only").
			// shop: 40.00 x 0.9 = 36.00 ("base").
			name: "priority among the promotions covering the pair",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
}
promotion "base" {` + bfWindow + `
  discount = "10%"
}
promotion "amz_only" {` + bfWindow + `
  discount = "30%"
  channels = ["amz"]
  priority = 9
}`,
			csv: "sku,price\nA-1,40.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "28.00", CompareAt: "40.00", Promotion: "amz_only"},
				{Channel: "shop", SKU: "A-1", Price: "36.00", CompareAt: "40.00", Promotion: "base"},
			},
		},
		{
			// "p1" and "p2" both cover (shop, A-1) at priority 0: conflict.
			// On amz only "p1" runs: 40.00 x 0.9 = 36.00, no conflict.
			// B-2 is covered by "p1" only, on both channels: 20.00 x 0.9 = 18.00.
			name: "same priority on the same pair is a conflict",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
}
promotion "p1" {` + bfWindow + `
  discount = "10%"
}
promotion "p2" {` + bfWindow + `
  discount = "20%"
  channels = ["shop"]
  skus     = ["A-1"]
}`,
			csv: "sku,price\nA-1,40.00\nB-2,20.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "amz", SKU: "A-1", Price: "36.00", CompareAt: "40.00", Promotion: "p1"},
				{Channel: "amz", SKU: "B-2", Price: "18.00", CompareAt: "20.00", Promotion: "p1"},
				{Channel: "shop", SKU: "B-2", Price: "18.00", CompareAt: "20.00", Promotion: "p1"},
			},
			findings: []wantFinding{errorF(derive.CodePromotionConflict, "shop", "A-1")},
		},
		{
			// Sale under the MAP floor (map 35.00), 20% off 40.00 = 32.00:
			// shop: raised to 35.00, compare_at 40.00, promotion_clamped.
			// eu:   regular 40.00 x 0.9 = 36.00; sale 36.00 x 0.8 = 28.80 under
			//       35.00 x 0.9 = 31.50: raised to 31.50, compare_at 36.00.
			name: "promotion clamped at MAP",
			hcl: chShop + chEU + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  discount = "20%"
}`,
			csv: "sku,price,map\nA-1,40.00,35.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "35.00", CompareAt: "40.00", Promotion: "bf"},
				{Channel: "eu", SKU: "A-1", Price: "31.50", CompareAt: "36.00", Promotion: "bf"},
			},
			findings: []wantFinding{
				warnF(derive.CodePromotionClamped, "shop", "A-1"),
				warnF(derive.CodePromotionClamped, "eu", "A-1"),
			},
		},
		{
			// Margin floor: cost 24.00 / (1 - 0.20) = 30.00. 30% off 40.00 =
			// 28.00 < 30.00: raised to 30.00, promotion_clamped.
			name: "promotion clamped at the margin floor",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  min_margin = "20%"
}
promotion "bf" {` + bfWindow + `
  discount = "30%"
}`,
			csv:      "sku,price,cost\nA-1,40.00,24.00\n",
			at:       duringBF,
			want:     []wantPrice{{Channel: "shop", SKU: "A-1", Price: "30.00", CompareAt: "40.00", Promotion: "bf"}},
			findings: []wantFinding{warnF(derive.CodePromotionClamped, "shop", "A-1")},
		},
		{
			// max_discount 30%: sale floor = 40.00 x (1 - 0.30) = 28.00.
			// 50% off = 20.00 < 28.00: raised to 28.00, promotion_clamped.
			// B-2 (other promotion, 20% off, same max): 32.00 >= 28.00, no clamp.
			// C-3: map 20.00 too: floor max(20.00, 28.00) = 28.00 -> 28.00.
			// D-4: map 30.00: floor max(30.00, 28.00) = 30.00 -> 30.00.
			name: "promotion clamped at max_discount",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
}
promotion "deep" {` + bfWindow + `
  skus         = ["A-1", "C-3", "D-4"]
  discount     = "50%"
  max_discount = "30%"
}
promotion "mild" {` + bfWindow + `
  skus         = ["B-2"]
  discount     = "20%"
  max_discount = "30%"
}`,
			csv: "sku,price,map\nA-1,40.00,\nB-2,40.00,\nC-3,40.00,20.00\nD-4,40.00,30.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "28.00", CompareAt: "40.00", Promotion: "deep"},
				{Channel: "shop", SKU: "B-2", Price: "32.00", CompareAt: "40.00", Promotion: "mild"},
				{Channel: "shop", SKU: "C-3", Price: "28.00", CompareAt: "40.00", Promotion: "deep"},
				{Channel: "shop", SKU: "D-4", Price: "30.00", CompareAt: "40.00", Promotion: "deep"},
			},
			findings: []wantFinding{
				warnF(derive.CodePromotionClamped, "shop", "A-1"),
				warnF(derive.CodePromotionClamped, "shop", "C-3"),
				warnF(derive.CodePromotionClamped, "shop", "D-4"),
			},
		},
		{
			// max_discount is measured from the unrounded regular price.
			// rounding 0.99: regular 43.98 -> 42.99 (compare_at).
			// floor = 43.98 x (1 - 0.10) = 39.582; 50% off = 21.99 < 39.582:
			// clamped to 39.582 -> largest .99 <= it is 38.99, under the floor
			// -> smallest .99 >= 39.582 = 39.99.
			// (From the rounded 42.99: 38.691 -> 38.99.)
			name: "max_discount floor from the unrounded regular",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
}
promotion "deep" {` + bfWindow + `
  discount     = "50%"
  max_discount = "10%"
}`,
			csv:      "sku,price\nA-1,43.98\n",
			at:       duringBF,
			want:     []wantPrice{{Channel: "shop", SKU: "A-1", Price: "39.99", CompareAt: "42.99", Promotion: "deep"}},
			findings: []wantFinding{warnF(derive.CodePromotionClamped, "shop", "A-1")},
		},
		{
			// Clamped, then rounded against its own floor. rounding 0.99, map 35.00:
			// regular 40.00 -> 39.99 (compare_at).
			// sale 40.00 x 0.8 = 32.00 < 35.00 -> 35.00 -> largest .99 <= 35.00 is
			// 34.99, under the floor -> smallest .99 >= 35.00 = 35.99.
			name: "clamped sale rounded against its floor",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
}
promotion "bf" {` + bfWindow + `
  discount = "20%"
}`,
			csv:      "sku,price,map\nA-1,40.00,35.00\n",
			at:       duringBF,
			want:     []wantPrice{{Channel: "shop", SKU: "A-1", Price: "35.99", CompareAt: "39.99", Promotion: "bf"}},
			findings: []wantFinding{warnF(derive.CodePromotionClamped, "shop", "A-1")},
		},
		{
			// rounding 0.99. A-1: regular 40.50 -> 39.99; sale 40.50 - 0.50 =
			// 40.00 -> 39.99, not below 39.99: ineffective; price 39.99,
			// compare_at null, no promotion.
			// B-2: fixed 45.00 over regular 40.00 -> 39.99: sale 45.00 -> 44.99,
			// not below: ineffective.
			// C-3: regular 41.00 -> 40.99; sale 40.50 -> 39.99 < 40.99: applies.
			name: "promotion ineffective when the rounded sale is not below",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
}
promotion "small" {` + bfWindow + `
  skus     = ["A-1", "C-3"]
  discount = "0.50"
}
promotion "fixed" {` + bfWindow + `
  skus  = ["B-2"]
  price = 45.00
}`,
			csv: "sku,price\nA-1,40.50\nB-2,40.00\nC-3,41.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "39.99"},
				{Channel: "shop", SKU: "B-2", Price: "39.99"},
				{Channel: "shop", SKU: "C-3", Price: "39.99", CompareAt: "40.99", Promotion: "small"},
			},
			findings: []wantFinding{
				warnF(derive.CodePromotionIneffective, "shop", "A-1"),
				warnF(derive.CodePromotionIneffective, "shop", "B-2"),
			},
		},
		{
			// skus and where both given: a SKU must meet both.
			// A-1 (listed, audio): 30.00 x 0.9 = 27.00.
			// B-2 (listed, video): regular 30.00.
			// C-3 (not listed, audio): regular 30.00.
			name: "skus and where both given",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  skus     = ["A-1", "B-2"]
  where    = product.category == "audio"
  discount = "10%"
}`,
			csv: "sku,price,category\nA-1,30.00,audio\nB-2,30.00,video\nC-3,30.00,audio\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "27.00", CompareAt: "30.00", Promotion: "bf"},
				{Channel: "shop", SKU: "B-2", Price: "30.00"},
				{Channel: "shop", SKU: "C-3", Price: "30.00"},
			},
		},
		{
			// channels = ["shop"]: shop 30.00 x 0.9 = 27.00; amz stays 30.00.
			name: "channels restriction",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  channels = ["shop"]
  discount = "10%"
}`,
			csv: "sku,price\nA-1,30.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "A-1", Price: "27.00", CompareAt: "30.00", Promotion: "bf"},
				{Channel: "amz", SKU: "A-1", Price: "30.00"},
			},
		},
		{
			// min_discount 10%, effective discount = 1 - rounded sale / rounded regular.
			// 20.00 - 1.00 = 19.00: 5% < 10%: promotion_below_min_discount.
			// B-2: 20.00 - 2.00 = 18.00: exactly 10%: fine.
			// C-3: 20.00 - 4.00 = 16.00: 20%: fine.
			// D-4 (promotion "clamped", 20% off, min 15%, map 35.00):
			//      40.00 x 0.8 = 32.00 < 35.00 -> 35.00 (promotion_clamped);
			//      1 - 35/40 = 12.5% < 15%: promotion_below_min_discount.
			name: "min_discount",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
}
promotion "one" {` + bfWindow + `
  skus         = ["A-1"]
  discount     = "1.00"
  min_discount = "10%"
  partner      = "acme"
}
promotion "two" {` + bfWindow + `
  skus         = ["B-2"]
  discount     = "2.00"
  min_discount = "10%"
}
promotion "four" {` + bfWindow + `
  skus         = ["C-3"]
  discount     = "4.00"
  min_discount = "10%"
}
promotion "clamped" {` + bfWindow + `
  skus         = ["D-4"]
  discount     = "20%"
  min_discount = "15%"
}`,
			csv: "sku,price,map\nA-1,20.00,\nB-2,20.00,\nC-3,20.00,\nD-4,40.00,35.00\n",
			at:  duringBF,
			want: []wantPrice{
				{Channel: "shop", SKU: "B-2", Price: "18.00", CompareAt: "20.00", Promotion: "two"},
				{Channel: "shop", SKU: "C-3", Price: "16.00", CompareAt: "20.00", Promotion: "four"},
			},
			findings: []wantFinding{
				errorF(derive.CodePromotionMinDiscount, "shop", "A-1"),
				warnF(derive.CodePromotionClamped, "shop", "D-4"),
				errorF(derive.CodePromotionMinDiscount, "shop", "D-4"),
			},
		},
		{
			// min_discount is checked on the rounded prices. rounding 0.99:
			// regular 20.00 -> 19.99; sale 20.00 - 2.00 = 18.00 -> 17.99.
			// Effective discount 1 - 17.99 / 19.99 = 10.005% >= 10%: no error
			// (the unrounded 18.00 against 19.99 would be 9.95%).
			name: "min_discount on the rounded prices",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
  rounding = "0.99"
}
promotion "two" {` + bfWindow + `
  discount     = "2.00"
  min_discount = "10%"
}`,
			csv:  "sku,price\nA-1,20.00\n",
			at:   duringBF,
			want: []wantPrice{{Channel: "shop", SKU: "A-1", Price: "17.99", CompareAt: "19.99", Promotion: "two"}},
		},
	}
	runPriceCases(t, cases)
}

// TestPromotionWindow checks starts <= t < ends at both edges, and local
// times read in settings.timezone.
func TestPromotionWindow(t *testing.T) {
	starts := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	ends := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	utc := chShop + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  discount = "25%"
}`
	// In New York (UTC-5 in November) "2026-11-27T00:00:00" is 05:00Z and
	// "2026-12-01T00:00:00" is 2026-12-01T05:00Z. The second promotion has an
	// explicit offset, which wins over the time zone.
	ny := `
settings {
  timezone = "America/New_York"
}
` + chShop + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  skus     = ["A-1"]
  discount = "25%"
}
promotion "offset" {
  starts   = "2026-11-27T00:00:00Z"
  ends     = "2026-11-28T00:00:00Z"
  skus     = ["B-2"]
  discount = "25%"
}`
	nyStart := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	nyEnd := time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC)
	// On: 40.00 x 0.75 = 30.00, compare_at 40.00. Off: 40.00, compare_at null.
	on := func(sku string) wantPrice {
		return wantPrice{Channel: "shop", SKU: sku, Price: "30.00", CompareAt: "40.00", Promotion: map[string]string{"A-1": "bf", "B-2": "offset"}[sku]}
	}
	off := func(sku string) wantPrice { return wantPrice{Channel: "shop", SKU: sku, Price: "40.00"} }
	csv := "sku,price\nA-1,40.00\nB-2,40.00\n"
	cases := []priceCase{
		{name: "one nanosecond before starts", hcl: utc, csv: csv, at: starts.Add(-time.Nanosecond), want: []wantPrice{off("A-1")}},
		{name: "exactly at starts", hcl: utc, csv: csv, at: starts, want: []wantPrice{on("A-1")}},
		{name: "one nanosecond before ends", hcl: utc, csv: csv, at: ends.Add(-time.Nanosecond), want: []wantPrice{on("A-1")}},
		{name: "exactly at ends", hcl: utc, csv: csv, at: ends, want: []wantPrice{off("A-1")}},
		// The same instant in another zone is the same instant.
		{name: "starts given in another zone", hcl: utc, csv: csv, at: starts.In(time.FixedZone("X", -8*3600)), want: []wantPrice{on("A-1")}},
		// settings.timezone: A-1 starts at 05:00Z; B-2 ("...Z") at 00:00Z.
		{name: "timezone: before local midnight", hcl: ny, csv: csv, at: nyStart.Add(-time.Second), want: []wantPrice{off("A-1"), on("B-2")}},
		{name: "timezone: at local midnight", hcl: ny, csv: csv, at: nyStart, want: []wantPrice{on("A-1"), on("B-2")}},
		{name: "timezone: at UTC midnight of the end day", hcl: ny, csv: csv, at: ends, want: []wantPrice{on("A-1"), off("B-2")}},
		{name: "timezone: at local end", hcl: ny, csv: csv, at: nyEnd, want: []wantPrice{off("A-1"), off("B-2")}},
		// offset promotion: [00:00Z 27th, 00:00Z 28th).
		{name: "offset: exactly at its end", hcl: ny, csv: csv, at: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), want: []wantPrice{on("A-1"), off("B-2")}},
	}
	runPriceCases(t, cases)
}
