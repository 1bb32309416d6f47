package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
)

// unknownBatch is a journal batch some of whose changes had an unknown
// outcome: those entries as the journal holds them, in order, each with
// the item it belongs to.
type unknownBatch struct {
	id      int64
	entries []store.JournalChange
	owner   []*item
}

// settle observes the listings of the items whose last attempt's outcome
// is unknown and records what it finds: a change whose value is in place
// landed, and is audited as applied; one that is not is sent again; a
// creation counts as landed when the listing is there, and is sent again
// only when it is absent. It returns the items to send again. When the
// channel cannot be observed, the uncertain items fail as unknown and stay
// so in the journal, for the next apply to observe first.
func (w *worker) settle(ctx context.Context, items []*item) ([]*item, error) {
	var batches []*unknownBatch
	seen := map[*unknownBatch]bool{}
	var skus []string
	for _, it := range items {
		if b := it.unknown; b != nil && !seen[b] {
			seen[b] = true
			batches = append(batches, b)
			for _, e := range b.entries {
				skus = append(skus, e.SKU)
			}
		}
	}
	if len(batches) == 0 {
		return items, nil
	}
	var obs map[string]*adapters.Listing
	err := errors.New("the channel cannot be observed from here")
	if w.o.Observe != nil {
		obs, err = w.o.Observe(ctx, w.name, dedupe(skus))
	}
	if err != nil {
		keep := w.giveUpUnknown(items, fmt.Errorf("observing the listing failed: %w", err))
		if ctx.Err() != nil {
			w.stop(keep, ctx.Err())
			return nil, ctx.Err()
		}
		return keep, nil
	}
	verdict := map[*item]bool{} // landed
	for _, b := range batches {
		landed := make([]bool, len(b.entries))
		for i := range b.entries {
			e := &b.entries[i]
			l := obs[e.SKU]
			it := b.owner[i]
			landed[i] = Landed(l, e, w.scale)
			if e.Create {
				verdict[it] = l != nil
			} else {
				verdict[it] = landed[i]
			}
		}
		if err := w.o.Journal.RecoverBatch(context.WithoutCancel(ctx), b.id, landed); err != nil {
			err = fmt.Errorf("apply %s: journal: %w", w.name, err)
			// The batches settled before this one are recorded: their
			// changes count as what was found.
			for _, it := range w.giveUpUnknown(items, err) {
				if found, settled := verdict[it]; settled && it.unknown == nil && found {
					w.landed(it)
				} else {
					w.stop([]*item{it}, err)
				}
			}
			return nil, err
		}
		for _, it := range b.owner {
			it.unknown = nil
		}
	}
	var again []*item
	for _, it := range items {
		landed, settled := verdict[it]
		switch {
		case settled && landed:
			w.landed(it)
		default:
			again = append(again, it)
		}
	}
	return again, nil
}

// giveUpUnknown fails the items whose outcome is unknown as such and
// returns the others.
func (w *worker) giveUpUnknown(items []*item, err error) []*item {
	var keep []*item
	for _, it := range items {
		if it.unknown == nil {
			keep = append(keep, it)
			continue
		}
		w.fail([]*item{it}, KindUnknown, fmt.Errorf("%w, and %w", it.lastErr, err))
	}
	return keep
}

// Landed reports whether a journaled change is in place on the observed
// listing l (nil: missing from the channel): the value it set is the
// listing's, a listing field compared as channels store text (see
// adapters.NormalizeText).
func Landed(l *adapters.Listing, jc *store.JournalChange, scale int32) bool {
	kind := adapters.KindOf(jc.Field)
	field := ""
	if kind == adapters.KindField {
		field = jc.Field
	}
	v, present := adapters.ValueOf(l, kind, field, scale)
	if !present {
		return false
	}
	if kind == adapters.KindField && v.Set && jc.To.Set {
		return adapters.NormalizeText(v.Text) == adapters.NormalizeText(jc.To.Text)
	}
	return v == jc.To
}

func dedupe(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
