package derive_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accordhq/accord/spec/derive"
)

// Check is validation over time: findings at now, and at every later
// instant a promotion starts or ends, each reported once with the first
// instant it holds.
func TestCheck(t *testing.T) {
	now := beforeBF // 2026-06-01T12:00:00Z, before every promotion below
	bfStart := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	bfEnd := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	later := time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)

	type timed struct {
		want wantFinding
		at   time.Time
	}
	cases := []struct {
		name string
		hcl  string
		csv  string
		now  time.Time
		want []timed
	}{
		{
			// A-1 (map 35.00): "bf" takes 20% off 40.00 = 32.00 < 35.00 from
			// 2026-11-27: promotion_clamped, which does not hold today.
			// B-2: 20.00 under its map 21.00 today: below_floor at now.
			// C-3: "xmas" (2026-12-24 to 12-26) takes 1.00 off 20.00 = 5%,
			// under its min_discount 10%: promotion_below_min_discount at its
			// start.
			name: "finding at a future promotion start",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  skus     = ["A-1"]
  discount = "20%"
}
promotion "xmas" {
  starts       = "2026-12-24T00:00:00"
  ends         = "2026-12-26T00:00:00"
  skus         = ["C-3"]
  discount     = "1.00"
  min_discount = "10%"
}`,
			csv: "sku,price,map\nA-1,40.00,35.00\nB-2,20.00,21.00\nC-3,20.00,\n",
			now: now,
			want: []timed{
				{warnF(derive.CodePromotionClamped, "shop", "A-1"), bfStart},
				{errorF(derive.CodeBelowFloor, "shop", "B-2"), now},
				{errorF(derive.CodePromotionMinDiscount, "shop", "C-3"), later},
			},
		},
		{
			// Two promotions clamp A-1 (map 35.00): "bf" from 11-27 and "xmas"
			// from 12-24. The finding is reported once, at its first instant.
			name: "a finding is reported once, at its first instant",
			hcl: chShop + catalogBlock + `
price_matrix "m" {
}
promotion "bf" {` + bfWindow + `
  discount = "20%"
}
promotion "xmas" {
  starts   = "2026-12-24T00:00:00"
  ends     = "2026-12-26T00:00:00"
  discount = "25%"
}`,
			csv: "sku,price,map\nA-1,40.00,35.00\n",
			now: now,
			want: []timed{
				{warnF(derive.CodePromotionClamped, "shop", "A-1"), bfStart},
			},
		},
		{
			// Now (during bf), amz's sale hides a deviation: anchor shop 40.00;
			// amz "+20%" = 48.00, 15% off = 40.80, |40.80 - 40| / 40 = 2%.
			// When bf ends (2026-12-01T00:00Z) amz is back to 48.00: 20% > 10%:
			// price_deviation appears at bf's end, a promotion boundary.
			name: "finding at a future promotion end",
			hcl: chShop + chAmz + catalogBlock + `
price_matrix "m" {
  anchor = "shop"
  channel "amz" {
    adjust        = "+20%"
    max_deviation = "10%"
  }
}
promotion "bf" {` + bfWindow + `
  channels = ["amz"]
  discount = "15%"
}`,
			csv: "sku,price\nA-1,40.00\n",
			now: duringBF,
			want: []timed{
				{errorF(derive.CodePriceDeviation, "amz", "A-1"), bfEnd},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.hcl, tc.csv)
			got := derive.Check(s, tc.now)
			var plain []derive.Finding
			for _, f := range got {
				plain = append(plain, f.Finding)
			}
			var want []wantFinding
			for _, w := range tc.want {
				want = append(want, w.want)
			}
			checkFindings(t, plain, want)
			// Each expected finding is indeed what Derive finds at that
			// instant, and (for a later instant) not at now.
			for _, w := range tc.want {
				at := derive.Derive(s, derive.Options{At: w.at}).Findings
				if !hasFinding(at, w.want) {
					t.Errorf("Derive at %s does not find %s", w.at.Format(time.RFC3339), w.want)
				}
				if !w.at.Equal(tc.now) && hasFinding(derive.Derive(s, derive.Options{At: tc.now}).Findings, w.want) {
					t.Errorf("Derive at now already finds %s", w.want)
				}
			}
			for _, w := range tc.want {
				n := 0
				for _, f := range got {
					if w.want.matches(f.Finding) {
						n++
						if !f.At.Equal(w.at) {
							t.Errorf("%s at %s, want %s", w.want, f.At.UTC().Format(time.RFC3339), w.at.UTC().Format(time.RFC3339))
						}
					}
				}
				if n > 1 {
					t.Errorf("%s reported %d times, want once", w.want, n)
				}
			}
		})
	}
}

func hasFinding(fs []derive.Finding, w wantFinding) bool {
	for _, f := range fs {
		if w.matches(f) {
			return true
		}
	}
	return false
}

// TestBoundaries lists the promotion starts and ends after now, sorted,
// without repeats.
func TestBoundaries(t *testing.T) {
	s := load(t, chShop+catalogBlock+`
price_matrix "m" {
}
promotion "a" {
  starts   = "2026-12-24T00:00:00"
  ends     = "2026-12-26T00:00:00"
  discount = "10%"
}
promotion "b" {`+bfWindow+`
  discount = "5%"
  priority = 1
}
promotion "c" {
  starts   = "2026-11-01T00:00:00"
  ends     = "2026-12-24T00:00:00"
  discount = "1%"
  priority = 2
}`, "sku,price\nA-1,10.00\n")
	// now = 2026-11-27T00:00:00Z: c's start is past, b's start is now (not
	// after it); left: b's end 12-01, a's start = c's end 12-24 (once), a's
	// end 12-26.
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, b := range derive.Boundaries(s, now) {
		got = append(got, b.UTC().Format(time.RFC3339))
	}
	want := "[2026-12-01T00:00:00Z 2026-12-24T00:00:00Z 2026-12-26T00:00:00Z]"
	if fmt.Sprint(got) != want {
		t.Errorf("Boundaries = %v, want %s", got, want)
	}
}

func TestDeriveContextCancelled(t *testing.T) {
	s := load(t, `
channel "shop" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
price_matrix "m" {}
`, "sku,price\nA,10\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := derive.Desired(ctx, s, derive.Options{}); err == nil || res != nil {
		t.Errorf("a cancelled derivation returned %v, %v", res, err)
	}
	if res, err := derive.Desired(context.Background(), s, derive.Options{}); err != nil || len(res.Listings) != 1 {
		t.Errorf("DeriveContext = %v, %v", res, err)
	}
}
