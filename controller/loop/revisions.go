package loop

import (
	"context"
	"slices"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// chunkSKUs is how many SKUs are derived at once when two revisions are
// compared: both derivations of a chunk are held, never more, so that a
// commit to a 100k-SKU spec costs no more memory than a reconcile does.
const chunkSKUs = 10_000

// movedByRevision returns the catalog SKUs whose desired listings differ
// between two revisions of the spec at the instant at, from the same stock,
// so that a new commit is reconciled on those alone, not by observing every
// listing. ok is false when a full reconcile is needed: the channels
// differ, or the new revision's derivation has an error (a plan that is not
// applied at all must see all of it).
func movedByRevision(ctx context.Context, before, after *spec.Spec, levels stock.Levels, at time.Time) (skus []string, ok bool, err error) {
	if !sameChannels(before, after) || levels == nil {
		return nil, false, nil
	}
	all := map[string]bool{}
	for _, p := range before.Products {
		all[p.SKU] = true
	}
	for _, p := range after.Products {
		all[p.SKU] = true
	}
	catalog := make([]string, 0, len(all))
	for sku := range all {
		catalog = append(catalog, sku)
	}
	slices.Sort(catalog)
	moved := map[string]bool{}
	for start := 0; start < len(catalog); start += chunkSKUs {
		chunk := catalog[start:min(start+chunkSKUs, len(catalog))]
		old, err := derive.Desired(ctx, before, derive.Options{At: at, Stock: levels, SKUs: chunk})
		if err != nil {
			return nil, false, err
		}
		cur, err := derive.Desired(ctx, after, derive.Options{At: at, Stock: levels, SKUs: chunk})
		if err != nil {
			return nil, false, err
		}
		for _, f := range cur.Findings {
			if f.Severity == derive.Error {
				return nil, false, nil
			}
		}
		was := make(map[adapters.Key]*adapters.Listing, len(old.Listings))
		for i := range old.Listings {
			l := &old.Listings[i].Listing
			was[adapters.Key{Channel: l.Channel, SKU: l.SKU}] = l
		}
		for i := range cur.Listings {
			l := &cur.Listings[i].Listing
			k := adapters.Key{Channel: l.Channel, SKU: l.SKU}
			if w, ok := was[k]; !ok || !sameListing(w, l) {
				moved[l.SKU] = true
			}
			delete(was, k)
		}
		for k := range was {
			moved[k.SKU] = true // no longer listed there
		}
	}
	out := make([]string, 0, len(moved))
	for sku := range moved {
		out = append(out, sku)
	}
	slices.Sort(out)
	return out, true, nil
}

// sameChannels reports whether two revisions have the same channels with
// the same settings that matter beyond listings (kind, SKU column, scale,
// currency, drift policy).
func sameChannels(a, b *spec.Spec) bool {
	if len(a.Channels) != len(b.Channels) {
		return false
	}
	for i, ca := range a.Channels {
		cb := b.Channels[i]
		if ca.Name != cb.Name || ca.Type != cb.Type || ca.SKUColumn != cb.SKUColumn || ca.Scale != cb.Scale || ca.Currency != cb.Currency || ca.Drift != cb.Drift {
			return false
		}
	}
	return true
}

// sameListing compares what a reconcile would set of two desired
// listings.
func sameListing(a, b *adapters.Listing) bool {
	if a.Quantity != b.Quantity || a.Currency != b.Currency || a.Price.Valid != b.Price.Valid || a.CompareAt.Valid != b.CompareAt.Valid {
		return false
	}
	if a.Price.Valid && !a.Price.Decimal.Equal(b.Price.Decimal) {
		return false
	}
	if a.CompareAt.Valid && !a.CompareAt.Decimal.Equal(b.CompareAt.Decimal) {
		return false
	}
	return slices.Equal(a.Fields, b.Fields)
}
