package report

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
)

// OrderEstimate is a channel's order rate worked out from the audit log.
type OrderEstimate struct {
	// PerDay is the units sold a day, taken as one unit an order.
	PerDay decimal.Decimal
	// Units is the units seen sold, over Days days, in Decreases drops.
	Units     int64
	Days      decimal.Decimal
	Decreases int
}

// EstimateOrders estimates each channel's orders a day from the audit log
// (oldest first): every quantity change records the quantity accord found
// on the channel (From) before setting a new one, so a From under the
// quantity accord last set there is what sold in between. A person's edit
// that lowered a quantity counts as a sale too: it is an estimate, and
// errs towards more risk. Channels with no quantity change logged are left
// out.
func EstimateOrders(entries []store.AuditEntry) map[string]OrderEstimate {
	type span struct {
		first, last time.Time
		units       int64
		drops       int
	}
	spans := map[string]*span{}
	last := map[adapters.Key]int64{}
	for _, e := range entries {
		if e.Field != adapters.FieldQuantity {
			continue
		}
		sp := spans[e.Channel]
		if sp == nil {
			sp = &span{first: e.At}
			spans[e.Channel] = sp
		}
		sp.last = e.At
		k := adapters.Key{Channel: e.Channel, SKU: e.SKU}
		if from, err := e.From.Int(); err == nil {
			if set, ok := last[k]; ok && from < set {
				sp.units += set - from
				sp.drops++
			}
		}
		if to, err := e.To.Int(); err == nil {
			last[k] = to
		} else {
			delete(last, k)
		}
	}
	out := map[string]OrderEstimate{}
	day := decimal.NewFromInt(int64(24 * time.Hour))
	for ch, sp := range spans {
		// At least a day, so that a few sales in one afternoon are not
		// read as thousands a day.
		days := decimal.NewFromInt(int64(max(sp.last.Sub(sp.first), 24*time.Hour))).Div(day)
		out[ch] = OrderEstimate{PerDay: decimal.NewFromInt(sp.units).Div(days), Units: sp.units, Days: days, Decreases: sp.drops}
	}
	return out
}
