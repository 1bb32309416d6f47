package derive

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/money"
)

// This file works steps 1 to 4 of the contract's price derivation
// (docs/spec-language.md, "How desired state is derived") for one channel
// of one SKU, one function per step, in the contract's order. Each step reads
// what the steps before it left in a priceWork and adds its own findings;
// the explanation for `accord explain` is written once the price is known.

// priceWork carries one channel's price through steps 1 to 4. It lives on
// channelPrice's stack: nothing in it outlives the call.
type priceWork struct {
	plan    *matrixPlan
	c       int
	ch      *spec.Channel
	p       *spec.Product
	fxIsOne bool

	// outcome is how far the price got; each step moves it on.
	outcome priceOutcome

	// Step 1. adjusted is the catalog price after adjust, before fx; it is
	// unset under an override.
	isOverride bool
	adjusted   decimal.Decimal
	regular    decimal.Decimal

	// Step 2. promo is the promotion that would set the price, and offered
	// its sale price as the promotion states it. Under a conflict, tied is
	// the second promotion at the top priority and tiedNames lists them all.
	promo     *spec.Promotion
	offered   decimal.Decimal
	tied      *spec.Promotion
	tiedNames string

	// Step 3. sale is offered, raised to its floor when clamped.
	regFloor  decimal.Decimal
	regKind   floorKind
	saleFloor decimal.Decimal
	saleKind  floorKind
	clamped   bool
	sale      decimal.Decimal

	// Step 4. raised says the rounding held a price at its floor.
	regRounded  decimal.Decimal
	regRaised   bool
	saleRounded decimal.Decimal
	saleRaised  bool
}

// priceOutcome is how far a channel's price got through steps 1 to 4, and
// so what it is and what the explanation tells.
type priceOutcome uint8

const (
	// noPrice: step 1 gave a regular price not above zero.
	noPrice priceOutcome = iota
	// regularOnly: no promotion covers the pair; the regular price stands.
	regularOnly
	// conflicted: promotions tie at the top priority and none applies.
	conflicted
	// onSale: the promotion sets the price, so far as the steps done know.
	onSale
	// invalidSale: the sale price is not above zero even at its floor; the
	// regular price stays.
	invalidSale
	// ineffective: the rounded sale price is not below the rounded regular
	// one, so the promotion does not apply.
	ineffective
)

// channelPrice works steps 1 to 4 of the contract for one channel, in the
// contract's order, and records the price in r.prices[c].
func (r *skuRun) channelPrice(plan *matrixPlan, floor skuFloor, c int, ch *spec.Channel, p *spec.Product, i int, tr *tracer) {
	w := priceWork{plan: plan, c: c, ch: ch, p: p, fxIsOne: ch.FXRate.Equal(one)}
	if r.regularPrice(&w) { // 1. the regular price
		r.salePrice(&w, i)        // 2. the promotion's sale price
		r.regularFloor(&w, floor) // 3. the floors
		r.saleFloor(&w)
		roundPrices(&w)   // 4. rounding, each against its own floor
		r.settlePrice(&w) // the listing's price and compare_at
	}
	if tr != nil {
		r.explainPrice(&w, tr)
	}
}

// regularPrice works step 1: the override price if one matches (c, s), used
// exactly as written; else the catalog price adjusted by the channel's
// adjust, then times fx_rate. A regular price not above zero is an
// invalid_price error and leaves the channel without a price: it reports
// false.
func (r *skuRun) regularPrice(w *priceWork) bool {
	if o, ok := w.plan.overrides[w.c][w.p.SKU]; ok {
		w.regular, w.isOverride = o.Price, true
	} else {
		w.adjusted = w.p.Price
		if adj := w.plan.adjust[w.c]; !adj.IsZero() {
			w.adjusted = adj.Apply(w.adjusted)
		}
		w.regular = w.adjusted
		if !w.fxIsOne {
			w.regular = w.regular.Mul(w.ch.FXRate)
		}
	}
	if !w.regular.IsPositive() {
		r.add(Finding{Severity: Error, Code: CodeInvalidPrice, Channel: w.ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("the regular price works out to %s, which is not above zero", w.regular), Range: w.plan.m.PerChannel[w.ch.Name].AdjustRange})
		return false
	}
	w.outcome = regularOnly
	return true
}

// salePrice works step 2: the promotion running at the derivation's instant
// that covers (c, s) with the highest priority, and its sale price, worked
// from the unrounded regular price. Two at the top priority is a
// promotion_conflict error, and neither applies.
func (r *skuRun) salePrice(w *priceWork, i int) {
	best, tied := r.pickPromotion(w.c, i)
	if tied != nil {
		w.outcome, w.tied, w.tiedNames = conflicted, tied, r.promotionsAt(w.c, i, tied.Priority)
		r.add(Finding{Severity: Error, Code: CodePromotionConflict, Channel: w.ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("promotions %s all apply at priority %d; give one a higher priority", w.tiedNames, tied.Priority),
			Range:   tied.Range})
		return
	}
	if best == nil {
		return
	}
	w.outcome, w.promo = onSale, best
	w.offered = best.Discount.Apply(w.regular, w.ch.FXRate)
}

// pickPromotion returns the promotion of highest priority among those
// running that cover (c, i). When more than one shares that priority, tied
// is the second of them (in the order they run).
func (r *skuRun) pickPromotion(c, i int) (best, tied *spec.Promotion) {
	for _, promo := range r.active[c] {
		if !promo.Covers[i] {
			continue
		}
		switch {
		case best == nil || promo.Priority > best.Priority:
			best, tied = promo, nil
		case promo.Priority == best.Priority && tied == nil:
			tied = promo
		}
	}
	return best, tied
}

// promotionsAt names the running promotions that cover (c, i) at the given
// priority, in the order they run.
func (r *skuRun) promotionsAt(c, i int, priority int64) string {
	var names []string
	for _, promo := range r.active[c] {
		if promo.Covers[i] && promo.Priority == priority {
			names = append(names, promo.Name)
		}
	}
	return strings.Join(names, ", ")
}

// regularFloor works step 3 for the regular price: its floor is the SKU's
// (MAP and margin) in the channel's currency, and a regular price under it
// is a below_floor error.
func (r *skuRun) regularFloor(w *priceWork, floor skuFloor) {
	w.regFloor, w.regKind = floor.value, floor.kind
	if w.regKind == noFloor {
		return
	}
	if !w.fxIsOne {
		w.regFloor = w.regFloor.Mul(w.ch.FXRate)
	}
	if w.regular.LessThan(w.regFloor) {
		r.add(Finding{Severity: Error, Code: CodeBelowFloor, Channel: w.ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("the regular price %s is under its floor %s (%s)", money2(w.regular, w.ch.Scale), money2(w.regFloor, w.ch.Scale), r.floorWhy(w.regKind, w.plan, w.p, nil)),
			Range:   floorRange(w.regKind, w.plan, w.p, nil)})
	}
}

// saleFloor works step 3 for the sale price: its floor is the regular
// price's floor or regular x (1 - max_discount), whichever is larger. A
// sale price under it is raised to it, with a promotion_clamped warning;
// one that is then still not above zero is an invalid_price error, and the
// regular price stays.
func (r *skuRun) saleFloor(w *priceWork) {
	if w.outcome != onSale {
		return
	}
	promo := w.promo
	w.saleFloor, w.saleKind = w.regFloor, w.regKind
	if promo.MaxDiscount.Valid {
		if v := w.regular.Mul(one.Sub(promo.MaxDiscount.Decimal)); w.saleKind == noFloor || v.GreaterThan(w.saleFloor) {
			w.saleFloor, w.saleKind = v, maxDiscountFloor
		}
	}
	w.sale = w.offered
	if w.saleKind != noFloor && w.sale.LessThan(w.saleFloor) {
		why := r.floorWhy(w.saleKind, w.plan, w.p, promo)
		r.add(Finding{Severity: Warning, Code: CodePromotionClamped, Channel: w.ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("promotion %q would sell at %s, under the floor %s (%s); the sale price is raised to the floor", promo.Name, money2(w.sale, w.ch.Scale), money2(w.saleFloor, w.ch.Scale), why),
			Range:   floorRange(w.saleKind, w.plan, w.p, promo)})
		w.sale, w.clamped = w.saleFloor, true
	}
	if !w.sale.IsPositive() {
		r.add(Finding{Severity: Error, Code: CodeInvalidPrice, Channel: w.ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("promotion %q works out to a sale price of %s, which is not above zero; the regular price stays", promo.Name, w.sale), Range: promo.DiscountRange})
		w.outcome = invalidSale
	}
}

// roundPrices works step 4: the regular price (unless an override, used as
// written) and the sale price are rounded, each against its own floor.
func roundPrices(w *priceWork) {
	round := w.plan.rounding[w.c]
	w.regRounded = w.regular
	if !w.isOverride {
		w.regRounded, w.regRaised = round.Round(w.regular, w.regFloor)
	}
	if w.outcome == onSale {
		w.saleRounded, w.saleRaised = round.Round(w.sale, w.saleFloor)
	}
}

// settlePrice records the listing's price: the rounded sale price while the
// promotion lowers it, else the rounded regular price. A promotion whose
// rounded sale price is not below the rounded regular price does not apply
// (a promotion_ineffective warning); one that takes less off than its
// min_discount is a promotion_below_min_discount error.
func (r *skuRun) settlePrice(w *priceWork) {
	cp := &r.prices[w.c]
	cp.ok = true
	cp.regRounded = w.regRounded
	cp.final = w.regRounded
	cp.floor, cp.floorKind = w.regFloor, w.regKind
	if w.outcome != onSale {
		return
	}
	promo, ch := w.promo, w.ch
	if !w.saleRounded.LessThan(w.regRounded) {
		r.add(Finding{Severity: Warning, Code: CodePromotionIneffective, Channel: ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("promotion %q does not lower the price: the sale price %s is not below the regular %s, so it does not apply", promo.Name, money2(w.saleRounded, ch.Scale), money2(w.regRounded, ch.Scale)), Range: promo.DiscountRange})
		w.outcome = ineffective
		return
	}
	if promo.MinDiscount.Valid && w.saleRounded.GreaterThan(w.regRounded.Mul(one.Sub(promo.MinDiscount.Decimal))) {
		off := one.Sub(w.saleRounded.DivRound(w.regRounded, 6)).Shift(2).Round(1)
		r.add(Finding{Severity: Error, Code: CodePromotionMinDiscount, Channel: ch.Name, SKU: w.p.SKU,
			Message: fmt.Sprintf("promotion %q takes %s%% off (%s to %s), less than its min_discount %s agreed with partner %q", promo.Name, off, money2(w.regRounded, ch.Scale), money2(w.saleRounded, ch.Scale), money.FormatPercent(promo.MinDiscount.Decimal), promo.Partner),
			Range:   promo.MinDiscountRange})
	}
	cp.promo = promo
	cp.final = w.saleRounded
	cp.floor, cp.floorKind = w.saleFloor, w.saleKind
}

// explainPrice writes the trace of steps 1 to 4. It tells the regular
// price to its end (steps 1, 3 and 4) before the promotion's sale price
// (steps 2, 3 and 4), the order in which a reader checks the numbers.
func (r *skuRun) explainPrice(w *priceWork, tr *tracer) {
	r.explainRegular(w, tr)
	if w.outcome != noPrice {
		r.explainSale(w, tr)
	}
}

// explainRegular traces the regular price: step 1, then its floor (step 3)
// and its rounding (step 4).
func (r *skuRun) explainRegular(w *priceWork, tr *tracer) {
	ch, p := w.ch, w.p
	if w.isOverride {
		override := w.plan.overrides[w.c][p.SKU]
		tr.step("price", "override", money2(w.regular, ch.Scale), "a fixed regular price, used exactly as written (no adjust, fx or rounding)", override.Range)
	} else {
		tr.step("price", "list price", p.Price.String(), "the catalog price of "+p.SKU, p.Range)
		if adj := w.plan.adjust[w.c]; !adj.IsZero() {
			tr.step("price", "adjust "+adj.String(), w.adjusted.String(), fmt.Sprintf("%s adjusted by %s", p.Price, adj), w.plan.m.PerChannel[ch.Name].AdjustRange)
		}
		if !w.fxIsOne {
			tr.step("price", "fx", w.regular.String(), fmt.Sprintf("%s x %s %s per %s", w.adjusted, ch.FXRate, ch.Currency, r.e.s.Settings.Currency), ch.FXRateRange)
		}
	}
	if w.outcome == noPrice {
		return
	}
	if w.regKind != noFloor {
		tr.step("price", "floor", money2(w.regFloor, ch.Scale), r.floorWhy(w.regKind, w.plan, p, nil), floorRange(w.regKind, w.plan, p, nil))
	}
	if !w.isOverride {
		w.roundingStep(tr, w.regular, w.regRounded, w.regFloor, w.regRaised)
	}
}

// explainSale traces the promotion: step 2 (or the conflict that stopped
// it), the clamp to the sale floor (step 3), the rounding (step 4), and
// whether the sale price was below the regular one.
func (r *skuRun) explainSale(w *priceWork, tr *tracer) {
	ch, promo := w.ch, w.promo
	switch w.outcome {
	case regularOnly:
		return
	case conflicted:
		tr.step("price", "promotion conflict", "", fmt.Sprintf("%s all apply at priority %d: none is used", w.tiedNames, w.tied.Priority), w.tied.Range)
		return
	}
	tr.step("price", "promotion "+promo.Name, w.offered.String(), fmt.Sprintf("%s from %s (priority %d)", r.discountText(promo.Discount, ch), w.regular, promo.Priority), promo.DiscountRange)
	if w.clamped {
		tr.step("price", "clamped", w.saleFloor.String(), fmt.Sprintf("%s is under the floor %s (%s)", w.offered, w.saleFloor, r.floorWhy(w.saleKind, w.plan, w.p, promo)), floorRange(w.saleKind, w.plan, w.p, promo))
	}
	if w.outcome == invalidSale {
		return
	}
	w.roundingStep(tr, w.sale, w.saleRounded, w.saleFloor, w.saleRaised)
	if w.outcome == ineffective {
		tr.step("price", "ineffective", money2(w.regRounded, ch.Scale), fmt.Sprintf("sale %s is not below regular %s: the promotion does not apply", money2(w.saleRounded, ch.Scale), money2(w.regRounded, ch.Scale)), promo.DiscountRange)
	}
}

// roundingStep traces step 4 for one price: v rounded to rounded, held at
// or above floor when raised.
func (w *priceWork) roundingStep(tr *tracer, v, rounded, floor decimal.Decimal, raised bool) {
	detail := fmt.Sprintf("%s rounded with %q", v, w.plan.rounding[w.c].String())
	if raised {
		detail += fmt.Sprintf(", held at or above the floor %s", money2(floor, w.ch.Scale))
	}
	tr.step("price", "rounding", money2(rounded, w.ch.Scale), detail, w.plan.m.RoundingRange)
}
