package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// Parity rules are checked on the prices the channels show, as soon as every
// channel a rule compares is done (or dropped): each rule counts its
// channels down, and the Done or Drop that brings it to zero checks it on
// its own goroutine. Plan checks the rules some of whose channels were not
// observed at all.

// Drop forgets what was compared of a channel whose observation failed
// part-way: it gets no changes and no exceptions, and the parity rules that
// compare it are checked without its prices. Call it instead of Done.
func (d *Differ) Drop(channel string) {
	cd := d.channels[channel]
	if cd == nil || cd.spec == nil {
		return
	}
	cd.changes, cd.pend, cd.exceptions, cd.prices = nil, nil, nil, nil
	d.parityReady(channel)
}

// parityChannels are the channels a parity rule compares, each once.
func parityChannels(par *spec.Parity) []string {
	out := []string{par.Channel}
	for _, a := range par.Against {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// parityReady checks, on the caller's goroutine, the parity rules whose
// last channel was just done.
func (d *Differ) parityReady(channel string) {
	var ready []int
	d.parityMu.Lock()
	for r, par := range d.in.Spec.Parities {
		if slices.Contains(parityChannels(par), channel) {
			if d.parityLeft[r]--; d.parityLeft[r] == 0 && !d.parityDone[r] {
				d.parityDone[r] = true
				ready = append(ready, r)
			}
		}
	}
	d.parityMu.Unlock()
	for _, r := range ready {
		out := d.parityExceptions(d.in.Spec.Parities[r])
		d.parityMu.Lock()
		d.parityOut[r] = out
		d.parityMu.Unlock()
	}
}

// parityExceptions checks a parity rule against the prices the channels
// show now (converted to the catalog currency).
func (d *Differ) parityExceptions(par *spec.Parity) []Exception {
	cd := d.channels[par.Channel]
	if cd == nil || cd.spec == nil || cd.prices == nil {
		return nil
	}
	ch := cd.spec
	var against [][]decimal.NullDecimal
	for _, a := range par.Against {
		if ad := d.channels[a]; ad != nil && ad.prices != nil {
			against = append(against, ad.prices)
		}
	}
	if len(against) == 0 {
		return nil
	}
	var out []Exception
	gap := one.Add(par.MaxGap)
	for i, price := range cd.prices {
		if !price.Valid {
			continue
		}
		var limit decimal.Decimal
		found := false
		for _, prices := range against {
			if v := prices[i]; v.Valid && (!found || v.Decimal.LessThan(limit)) {
				limit, found = v.Decimal, true
			}
		}
		if !found {
			continue
		}
		limit = limit.Mul(gap)
		if price.Decimal.GreaterThan(limit) {
			shown := price.Decimal.Mul(ch.FXRate)
			out = append(out, Exception{Code: CodePriceParity, Channel: par.Channel, SKU: d.in.Spec.Products[i].SKU, Field: adapters.FieldPrice,
				Observed: adapters.Money(decimal.NullDecimal{Decimal: shown, Valid: true}, ch.Scale),
				Message: fmt.Sprintf("listed at %s %s, above parity %q's limit of %s %s (%s + %s)", shown.StringFixed(ch.Scale), ch.Currency, par.Name,
					limit.Mul(ch.FXRate).StringFixed(ch.Scale), ch.Currency, strings.Join(par.Against, ", "), par.MaxGap.Shift(2).String()+"%")})
		}
	}
	return out
}
