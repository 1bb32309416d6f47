package shopify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// diff is what a plan would send to make observed what desired says.
func diff(desired []adapters.Listing, observed map[string]adapters.Listing) []adapters.Change {
	var out []adapters.Change
	for i := range desired {
		d := &desired[i]
		o, ok := observed[d.SKU]
		if !ok {
			out = append(out, adapters.Change{Key: d.Key, Kind: adapters.KindCreate, Listing: d})
			continue
		}
		for _, k := range []adapters.ChangeKind{adapters.KindQuantity, adapters.KindPrice, adapters.KindCompareAt} {
			want, _ := adapters.ValueOf(d, k, "", 2)
			have, _ := adapters.ValueOf(&o, k, "", 2)
			if want != have {
				out = append(out, adapters.Change{Key: d.Key, Kind: k, From: have, To: want, Ref: o.Ref})
			}
		}
		for _, f := range d.Fields {
			have, _ := adapters.ValueOf(&o, adapters.KindField, f.Name, 2)
			if want := adapters.Text(f.Value); want != have {
				out = append(out, adapters.Change{Key: d.Key, Kind: adapters.KindField, Field: f.Name, From: have, To: want, Ref: o.Ref})
			}
		}
	}
	return out
}

// Plan and apply against the fake converge: the next plan is empty, and a
// sale landed between plan and apply is a conflict the next plan settles,
// never an overwrite.
func TestConverge(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(listings(120))
	ch := f.open(t, "")
	desired := listings(125) // five to create
	for i := range desired {
		desired[i].Price = decimal.NullDecimal{Decimal: decimal.New(1999+int64(i), -2), Valid: true}
		desired[i].Quantity.Units = int64(10 + i%5)
		if i%4 == 0 {
			desired[i].CompareAt = decimal.NullDecimal{Decimal: decimal.New(4999, -2), Valid: true}
		}
		desired[i].Fields[1].Value = fmt.Sprintf("Item %d, renamed", i)
	}
	var once sync.Once
	f.BeforeMutation(func() { once.Do(func() { f.Sell("AT-00007", 2) }) })
	rounds := 0
	for ; rounds < 4; rounds++ {
		changes := diff(desired, observeAll(t, ch))
		if len(changes) == 0 {
			break
		}
		conflicts := 0
		for s := 0; s < len(changes); s += batchSize {
			batch := changes[s:min(s+batchSize, len(changes))]
			for i, r := range ch.Apply(context.Background(), batch) {
				var c *adapters.ConflictError
				var tmp *adapters.TemporaryError
				switch {
				case errors.As(r.Err, &c):
					conflicts++
				case errors.As(r.Err, &tmp) && tmp.Timeout:
					// Another quantity of its inventorySetQuantities
					// was the conflict: the next round reads it back.
				case r.Err != nil:
					t.Fatalf("round %d, %s %s: %v", rounds, batch[i].SKU, batch[i].Name(), r.Err)
				}
			}
		}
		if rounds == 0 && conflicts != 1 {
			t.Errorf("first round: %d conflicts, want the one sale's", conflicts)
		}
	}
	if rounds != 2 {
		t.Errorf("converged after %d rounds, want 2 (the second settles the sale)", rounds)
	}
	if got := f.Available("AT-00007"); got != desired[7].Quantity.Units {
		t.Errorf("AT-00007 available %d, want %d", got, desired[7].Quantity.Units)
	}
	throttled := f.Throttled()
	if throttled != 0 {
		t.Errorf("%d THROTTLED answers", throttled)
	}
}
