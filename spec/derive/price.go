package derive

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/money"
)

var (
	one = decimal.NewFromInt(1)
	// divPlaces is the precision of the few divisions money needs (a margin
	// floor, a currency conversion): far finer than any minor unit, so that
	// no rounding decision can turn on it.
	divPlaces int32 = 20
)

// matrixPlan is a price matrix with its per-channel constants.
type matrixPlan struct {
	m *spec.PriceMatrix
	// marginDivisor is 1 - min_margin.
	marginDivisor decimal.Decimal
	anchor        int // channel index, or -1
	// by channel index
	adjust    []money.Adjustment
	rounding  []money.Rounding
	overrides []map[string]spec.Override
}

func (e *Engine) planMatrices() {
	s := e.s
	e.matOf = make([]int32, len(s.Products))
	for i := range e.matOf {
		e.matOf[i] = -1
	}
	for mi, m := range s.Matrices {
		plan := &matrixPlan{m: m, anchor: -1,
			adjust: make([]money.Adjustment, len(s.Channels)), rounding: make([]money.Rounding, len(s.Channels)),
			overrides: make([]map[string]spec.Override, len(s.Channels))}
		if m.MinMargin.Valid {
			plan.marginDivisor = one.Sub(m.MinMargin.Decimal)
		}
		if _, c, ok := s.Channel(m.Anchor); ok {
			plan.anchor = c
		}
		for c, ch := range s.Channels {
			plan.adjust[c] = m.PerChannel[ch.Name].Adjust
			plan.rounding[c] = m.Rounding[ch.Name]
			plan.overrides[c] = m.Overrides[ch.Name]
		}
		for i := range e.matOf {
			if e.matOf[i] < 0 && m.SKUs.Contains(i) {
				e.matOf[i] = int32(mi)
			}
		}
		e.matrices = append(e.matrices, plan)
	}
}

// chanPrice is one channel's price for the SKU being derived.
type chanPrice struct {
	ok         bool
	regRounded decimal.Decimal
	promo      *spec.Promotion
	final      decimal.Decimal
	// floor is the floor of the final price (the sale floor under a
	// promotion), and floorKind says what set it.
	floor     decimal.Decimal
	floorKind floorKind
}

// floorKind names what sets a floor. Its words are built only when a
// finding or a trace needs them: formatting them for every one of 600k
// listings cost more than the arithmetic.
type floorKind uint8

const (
	noFloor floorKind = iota
	mapFloor
	marginFloor
	maxDiscountFloor
)

// skuFloor is the regular-price floor of a SKU in the catalog currency:
// the larger of MAP and the margin floor. A channel's floor is it times the
// channel's fx rate, as max commutes with a positive rate.
type skuFloor struct {
	value decimal.Decimal
	kind  floorKind
}

func (e *Engine) skuFloor(plan *matrixPlan, p *spec.Product) skuFloor {
	m := plan.m
	f := skuFloor{}
	if m.MAPFloor && p.MAP.Valid {
		f = skuFloor{p.MAP.Decimal, mapFloor}
	}
	if m.MinMargin.Valid && p.Cost.Valid {
		v := p.Cost.Decimal.DivRound(plan.marginDivisor, divPlaces)
		if f.kind == noFloor || v.GreaterThan(f.value) {
			f = skuFloor{v, marginFloor}
		}
	}
	return f
}

// floorWhy says what set a floor, in the user's words.
func (r *skuRun) floorWhy(kind floorKind, plan *matrixPlan, p *spec.Product, promo *spec.Promotion) string {
	scale := r.e.s.Settings.CurrencyScale
	switch kind {
	case mapFloor:
		return "MAP " + money2(p.MAP.Decimal, scale)
	case marginFloor:
		return fmt.Sprintf("margin %s over cost %s", money.FormatPercent(plan.m.MinMargin.Decimal), money2(p.Cost.Decimal, scale))
	case maxDiscountFloor:
		return fmt.Sprintf("max_discount %s of %s", money.FormatPercent(promo.MaxDiscount.Decimal), promo.Name)
	}
	return "no floor"
}

// floorRange is the spec line behind a floor.
func floorRange(kind floorKind, plan *matrixPlan, p *spec.Product, promo *spec.Promotion) hcl.Range {
	switch kind {
	case mapFloor:
		return p.Range
	case marginFloor:
		return plan.m.MinMarginRange
	case maxDiscountFloor:
		return promo.MaxDiscountRange
	}
	return hcl.Range{}
}

// approx writes a converted amount for reading: a division by an exchange
// rate has twenty places, of which four past the minor unit say enough.
func approx(d decimal.Decimal, scale int32) string {
	if -d.Exponent() > scale+4 {
		d = d.Round(scale + 4)
	}
	return money2(d, scale)
}

// discountText says what a promotion takes off, in both currencies when
// the channel's differs from the catalog's.
func (r *skuRun) discountText(d money.Discount, ch *spec.Channel) string {
	cat := r.e.s.Settings
	text := d.Format(cat.CurrencyScale)
	if d.Kind == money.PercentOff || ch.FXRate.Equal(one) {
		return text
	}
	converted := money.Discount{Kind: d.Kind, Value: d.Value.Mul(ch.FXRate)}
	return fmt.Sprintf("%s %s = %s %s", text, cat.Currency, converted.Format(ch.Scale), ch.Currency)
}

// money2 writes an amount with at least the currency's minor-unit places,
// and more only where an unrounded value has them: 34.55136, 34.99, 35.00.
func money2(d decimal.Decimal, scale int32) string {
	s := d.String()
	if i := strings.IndexByte(s, '.'); i < 0 || len(s)-i-1 < int(scale) {
		return d.StringFixed(scale)
	}
	return s
}

// derivePrices fills r.prices for product i on every channel.
func (r *skuRun) derivePrices(i int, listed []bool, traces []*tracer) {
	for c := range r.prices {
		r.prices[c] = chanPrice{}
	}
	mi := r.e.matOf[i]
	if mi < 0 {
		for c, tr := range traces {
			if tr != nil && listed[c] {
				tr.step("price", "unmanaged", "null", "this SKU is in no price matrix", hclNone)
			}
		}
		return
	}
	plan := r.e.matrices[mi]
	s := r.e.s
	p := s.Products[i]
	floor := r.e.skuFloor(plan, p)
	for c, ch := range s.Channels {
		if listed[c] {
			r.channelPrice(plan, floor, c, ch, p, i, traces[c])
		}
	}
	r.applyParity(plan, p, traces)
	r.checkDeviation(plan, p, traces)
	for c, tr := range traces {
		if tr != nil && r.prices[c].ok {
			cp := &r.prices[c]
			compare := "null"
			if cp.promo != nil {
				compare = money2(cp.regRounded, s.Channels[c].Scale)
			}
			tr.step("price", "final", money2(cp.final, s.Channels[c].Scale), "compare_at "+compare, hclNone)
		}
	}
}

// toChannel converts a price from channel a's currency to channel c's.
func toChannel(v decimal.Decimal, from, to *spec.Channel) decimal.Decimal {
	if from.FXRate.Equal(to.FXRate) {
		return v
	}
	return v.Mul(to.FXRate).DivRound(from.FXRate, divPlaces)
}

// applyParity works step 5: each protected channel, in an order where every
// channel it is compared against already has its final price.
func (r *skuRun) applyParity(plan *matrixPlan, p *spec.Product, traces []*tracer) {
	s := r.e.s
	for _, rule := range r.e.parity {
		_, c, ok := s.Channel(rule.Channel)
		if !ok || !r.prices[c].ok {
			continue
		}
		ch := s.Channels[c]
		cp := &r.prices[c]
		var limit decimal.Decimal
		var ref string
		found := false
		for _, name := range rule.Against {
			other, a, ok := s.Channel(name)
			if !ok || !r.prices[a].ok {
				continue
			}
			v := toChannel(r.prices[a].final, other, ch)
			if !found || v.LessThan(limit) {
				limit, ref, found = v, name, true
			}
		}
		if !found {
			continue
		}
		refPrice := limit
		limit = limit.Mul(one.Add(rule.MaxGap))
		if !cp.final.GreaterThan(limit) {
			if tr := traces[c]; tr != nil {
				tr.step("price", "parity "+rule.Name, money2(cp.final, ch.Scale), fmt.Sprintf("within %s of %s's %s (limit %s)", money.FormatPercent(rule.MaxGap), ref, approx(refPrice, ch.Scale), approx(limit, ch.Scale)), rule.Range)
			}
			continue
		}
		what := fmt.Sprintf("%s's price %s is more than %s above %s's %s (limit %s)", ch.Name, money2(cp.final, ch.Scale), money.FormatPercent(rule.MaxGap), ref, approx(refPrice, ch.Scale), approx(limit, ch.Scale))
		switch rule.OnViolation {
		case spec.ParityMatch:
			matched := plan.rounding[c].Down(limit)
			if !matched.IsPositive() || (cp.floorKind != noFloor && matched.LessThan(cp.floor)) {
				r.add(Finding{Severity: Error, Code: CodeParityUnresolvable, Channel: ch.Name, SKU: p.SKU,
					Message: fmt.Sprintf("%s; matching would need %s, under the floor %s (%s)", what, money2(matched, ch.Scale), money2(cp.floor, ch.Scale), r.floorWhy(cp.floorKind, plan, p, cp.promo)),
					Range:   rule.Range})
				if tr := traces[c]; tr != nil {
					tr.step("price", "parity "+rule.Name, money2(cp.final, ch.Scale), what+"; cannot match above the floor "+money2(cp.floor, ch.Scale), rule.Range)
				}
				continue
			}
			if tr := traces[c]; tr != nil {
				tr.step("price", "parity "+rule.Name, money2(matched, ch.Scale), what+"; lowered to the largest rounded price within it", rule.Range)
			}
			cp.final = matched
		case spec.ParityBlock:
			r.add(Finding{Severity: Error, Code: CodeParityViolation, Channel: ch.Name, SKU: p.SKU, Message: what + "; the rule blocks it", Range: rule.Range})
			if tr := traces[c]; tr != nil {
				tr.step("price", "parity "+rule.Name, money2(cp.final, ch.Scale), what+": blocked", rule.Range)
			}
		case spec.ParityWarn:
			r.add(Finding{Severity: Warning, Code: CodeParityViolation, Channel: ch.Name, SKU: p.SKU, Message: what, Range: rule.Range})
			if tr := traces[c]; tr != nil {
				tr.step("price", "parity "+rule.Name, money2(cp.final, ch.Scale), what+": warned", rule.Range)
			}
		}
	}
}

// checkDeviation works step 6: |price_c - price_anchor| / price_anchor, in
// the catalog currency, against each channel's max_deviation.
func (r *skuRun) checkDeviation(plan *matrixPlan, p *spec.Product, traces []*tracer) {
	a := plan.anchor
	if a < 0 || !r.prices[a].ok {
		return
	}
	s := r.e.s
	anchor := s.Channels[a]
	pa := r.prices[a].final
	for c, ch := range s.Channels {
		mc, has := plan.m.PerChannel[ch.Name]
		if c == a || !has || !mc.MaxDeviation.Valid || !r.prices[c].ok {
			continue
		}
		// In the catalog currency: |pc/fx_c - pa/fx_a| / (pa/fx_a)
		//                        = |pc*fx_a - pa*fx_c| / (pa*fx_c)
		pc := r.prices[c].final
		num, den := pc.Sub(pa).Abs(), pa
		if !anchor.FXRate.Equal(ch.FXRate) {
			num, den = pc.Mul(anchor.FXRate).Sub(pa.Mul(ch.FXRate)).Abs(), pa.Mul(ch.FXRate)
		}
		if num.GreaterThan(den.Mul(mc.MaxDeviation.Decimal)) {
			dev := num.DivRound(den, 6).Shift(2).Round(1)
			r.add(Finding{Severity: Error, Code: CodePriceDeviation, Channel: ch.Name, SKU: p.SKU,
				Message: fmt.Sprintf("%s's price %s is %s%% away from anchor %s's %s; max_deviation is %s. Widen the bound or run the promotion on %s too",
					ch.Name, money2(pc, ch.Scale), dev, anchor.Name, money2(pa, anchor.Scale), money.FormatPercent(mc.MaxDeviation.Decimal), ch.Name),
				Range: mc.DeviationRange})
			if tr := traces[c]; tr != nil {
				tr.step("price", "deviation", money2(pc, ch.Scale), fmt.Sprintf("%s%% from anchor %s's %s, over max_deviation %s", dev, anchor.Name, money2(pa, anchor.Scale), money.FormatPercent(mc.MaxDeviation.Decimal)), mc.DeviationRange)
			}
		}
	}
}

// parityOrder sorts parity rules so that a channel's own rules run before
// any rule that compares against it. Rules in a cycle (already an error at
// load) keep their declared order.
func parityOrder(s *spec.Spec) []*spec.Parity {
	rules := s.Parities
	protected := map[string][]*spec.Parity{}
	for _, p := range rules {
		protected[p.Channel] = append(protected[p.Channel], p)
	}
	var out []*spec.Parity
	state := map[string]int{}
	var visit func(ch string)
	visit = func(ch string) {
		if state[ch] != 0 {
			return
		}
		state[ch] = 1
		for _, p := range protected[ch] {
			for _, a := range p.Against {
				visit(a)
			}
		}
		out = append(out, protected[ch]...)
		state[ch] = 2
	}
	for _, p := range rules {
		visit(p.Channel)
	}
	return out
}
