package shopify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/shopify/shopifytest"
)

// seedGrouped puts products of perProduct variants each on the store.
func (f *fakeShop) seedGrouped(products, perProduct int) {
	for p := 0; p < products; p++ {
		vs := make([]shopifytest.SeedVariant, perProduct)
		for v := range vs {
			vs[v] = shopifytest.SeedVariant{SKU: fmt.Sprintf("P%04d-%02d", p, v), Price: "10.00", Available: 5}
		}
		f.AddProduct(fmt.Sprintf("Product %d", p), vs...)
	}
}

// 10,000 price changes (1,000 products of 10 variants) at a restore rate
// of 2,000 points a second: the apply keeps at least 90% of the rate and
// draws no THROTTLED. The adapter starts at its default pace and learns
// the fake's from the first answer.
func TestPacingTenThousandPrices(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds")
	}
	f := newFakeShop(t)
	f.seedGrouped(1000, 10)
	ch := f.open(t, "")
	var seen []adapters.Listing
	if err := ch.Observe(context.Background(), nil, func(ls []adapters.Listing) error {
		seen = append(seen, ls...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10000 {
		t.Fatalf("observed %d variants", len(seen))
	}
	const restore, bucket = 2000.0, 2000.0
	f.SetThrottle(bucket, restore, bucket)
	changes := make([]adapters.Change, len(seen))
	for i, l := range seen {
		changes[i] = adapters.Change{Key: l.Key, Kind: adapters.KindPrice, From: adapters.Money(l.Price, 2),
			To: adapters.Money(decimal.NullDecimal{Decimal: decimal.New(1299, -2), Valid: true}, 2), Ref: l.Ref}
	}
	start := time.Now()
	points := 0.0
	for s := 0; s < len(changes); s += batchSize {
		batch := changes[s:min(s+batchSize, len(changes))]
		before := len(f.Requests())
		for i, r := range ch.Apply(context.Background(), batch) {
			if r.Err != nil {
				t.Fatalf("change %d: %v", s+i, r.Err)
			}
		}
		for _, req := range f.Requests()[before:] {
			if req.Op == "Apply" {
				points += 10 * float64(len(req.Variables)/2) // two variables per productVariantsBulkUpdate
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	throttled := f.Throttled()
	if throttled != 0 {
		t.Errorf("%d THROTTLED answers", throttled)
	}
	// The bucket's content at the start is spent at once; the rest comes
	// at the restore rate.
	rate := (points - bucket) / elapsed
	t.Logf("%.0f points in %.2fs: %.0f points/s after the first bucket, %.0f%% of the restore rate", points, elapsed, rate, 100*rate/restore)
	if rate < 0.9*restore {
		t.Errorf("%.0f points/s, under 90%% of the restore rate %.0f", rate, restore)
	}
}
