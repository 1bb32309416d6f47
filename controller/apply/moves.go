package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
)

// moves is what an apply learns of stock while it runs. A compare-and-set
// conflict means an order landed between observe and apply: the SKU's
// stock moved, and its quantity on every channel of the pool was derived
// from stock that is no longer there. Each such SKU gets a new generation;
// a quantity derived at an older one is derived again before it is sent
// (rederive), and one sent already is corrected once the phases are done
// (correct).
type moves struct {
	mu  sync.Mutex
	gen map[string]int
	// at is, for each moved SKU, the channels the move was found on.
	at map[string]map[string]bool
}

// bump records that the stock of skus moved, found on channel, and returns
// their new generations.
func (m *moves) bump(channel string, skus []string) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen == nil {
		m.gen, m.at = map[string]int{}, map[string]map[string]bool{}
	}
	out := make(map[string]int, len(skus))
	for _, sku := range skus {
		m.gen[sku]++
		if m.at[sku] == nil {
			m.at[sku] = map[string]bool{}
		}
		m.at[sku][channel] = true
		out[sku] = m.gen[sku]
	}
	return out
}

// of is a SKU's generation: 0 while no move of its stock was seen.
func (m *moves) of(sku string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen[sku]
}

// snapshot is every moved SKU's generation and the channels it moved on.
func (m *moves) snapshot() (map[string]int, map[string][]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	gen := make(map[string]int, len(m.gen))
	at := make(map[string][]string, len(m.at))
	for sku, g := range m.gen {
		gen[sku] = g
		for ch := range m.at[sku] {
			at[sku] = append(at[sku], ch)
		}
		sort.Strings(at[sku])
	}
	return gen, at
}

// rederive derives again, before they are sent, the quantities among items
// whose SKU's stock moved since they were derived. It returns the items
// still to send; one found in place is counted as such. When the channel
// cannot be read the stale quantities are not sent: they fail.
func (w *worker) rederive(ctx context.Context, items []*item) ([]*item, error) {
	var stale []*item
	gens := map[string]int{}
	for _, it := range items {
		if it.c.Kind != adapters.KindQuantity {
			continue
		}
		if g := w.moves.of(it.c.SKU); g > it.gen {
			stale = append(stale, it)
			gens[it.c.SKU] = g
		}
	}
	if len(stale) == 0 {
		return items, nil
	}
	skus := make([]string, 0, len(stale))
	for _, it := range stale {
		skus = append(skus, it.c.SKU)
	}
	fresh, err := w.o.Refresh(ctx, w.name, skus)
	drop := map[*item]bool{}
	for _, it := range stale {
		drop[it] = true
		f, ok := fresh[it.c.SKU]
		switch {
		case err != nil:
			if ctx.Err() != nil {
				w.fail([]*item{it}, KindNotSent, ctx.Err())
				continue
			}
			w.fail([]*item{it}, KindFailed, fmt.Errorf("an order moved the stock of %s during the apply and the channel could not be observed again: %w", it.c.SKU, err))
		case !ok:
			w.fail([]*item{it}, KindRejected, errors.New("the listing is gone from the channel"))
		case f.Observed == f.Desired:
			w.rederived++
			w.unneeded++
			w.advance()
		default:
			w.rederived++
			if f.Desired != it.c.To {
				w.o.Log.Info("stock moved during the apply; quantity derived again", slog.String("channel", w.name), slog.String("sku", it.c.SKU),
					slog.String("planned", it.c.To.Text), slog.String("to", f.Desired.Text))
			}
			it.c.From, it.c.To, it.gen = f.Observed, f.Desired, gens[it.c.SKU]
			drop[it] = false
		}
	}
	kept := items[:0]
	for _, it := range items {
		if !drop[it] {
			kept = append(kept, it)
		}
	}
	if err := ctx.Err(); err != nil {
		w.stop(kept, err)
		return nil, err
	}
	return kept, nil
}

// correct sends, once every phase is done, the quantities the moves of
// stock seen during the apply call for on the pool's other channels: those
// sent before the move was seen, and those the plan did not change at all.
// A correction may meet another order: it goes round again, three times
// at most (the next reconcile sees anything later).
func correct(ctx context.Context, o *Options, workers map[string]*worker, mv *moves) error {
	if o.Refresh == nil || o.Siblings == nil {
		return nil
	}
	done := map[string]map[string]int{} // channel -> sku -> generation looked at
	for range 3 {
		gen, at := mv.snapshot()
		todo := map[string][]string{} // channel -> SKUs to look at
		for sku, channels := range at {
			for _, found := range channels {
				for _, sib := range o.Siblings(found) {
					w := workers[sib]
					if w == nil || done[sib][sku] >= gen[sku] {
						continue
					}
					if s, ok := w.sentQty[sku]; ok && s.gen >= gen[sku] {
						continue
					}
					if done[sib] == nil {
						done[sib] = map[string]int{}
					}
					done[sib][sku] = gen[sku]
					todo[sib] = append(todo[sib], sku)
				}
			}
		}
		if len(todo) == 0 {
			return nil
		}
		names := make([]string, 0, len(todo))
		for n := range todo {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			w := workers[name]
			skus := dedupe(todo[name])
			fresh, err := o.Refresh(ctx, name, skus)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				o.Log.Warn("an order moved stock during the apply and a channel sharing the pool could not be observed again; the next reconcile corrects it",
					slog.String("channel", name), slog.Any("err", err))
				continue
			}
			var items []*item
			for _, sku := range skus {
				f, ok := fresh[sku]
				if !ok || f.Observed == f.Desired {
					continue
				}
				if s, sent := w.sentQty[sku]; sent && s.to == f.Desired {
					continue // what was sent holds; the channel may not show it yet
				}
				items = append(items, &item{gen: gen[sku], c: plan.Change{
					Channel: name, SKU: sku, Kind: adapters.KindQuantity, Field: "", From: f.Observed, To: f.Desired, Reason: "spec", Ref: f.Ref,
				}})
			}
			if len(items) == 0 {
				continue
			}
			w.corrections += len(items)
			w.o.Log.Info("stock moved during the apply; correcting quantities already sent", slog.String("channel", name), slog.Int("listings", len(items)))
			size := max(w.lim.BatchSize, 1)
			for start := 0; start < len(items); start += size {
				if err := w.batch(ctx, items[start:min(start+size, len(items))]); err != nil {
					for _, it := range items[min(start+size, len(items)):] {
						w.fail([]*item{it}, KindNotSent, err)
					}
					return err
				}
			}
		}
	}
	return nil
}
