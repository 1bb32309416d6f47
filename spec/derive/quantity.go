package derive

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// poolPlan is a pool with its per-channel constants worked out.
type poolPlan struct {
	p *spec.Pool
	// by channel index
	others      []int64 // sum of the reserves of the pool's other channels
	keepLow     []bool  // keeps listing below the low-stock threshold
	oneMinusBuf []decimal.Decimal
}

func (e *Engine) planPools() {
	s := e.s
	nc, np := len(s.Channels), len(s.Products)
	e.poolOf = make([][]int32, nc)
	for c := range e.poolOf {
		row := make([]int32, np)
		for i := range row {
			row[i] = -1
		}
		e.poolOf[c] = row
	}
	for pi, p := range s.Pools {
		plan := &poolPlan{p: p, others: make([]int64, nc), keepLow: make([]bool, nc), oneMinusBuf: make([]decimal.Decimal, nc)}
		var total int64
		for _, name := range p.Channels {
			total += p.PerChannel[name].Reserve
		}
		for _, name := range p.Channels {
			_, c, ok := s.Channel(name)
			if !ok {
				continue
			}
			pc := p.PerChannel[name]
			plan.others[c] = total - pc.Reserve
			plan.oneMinusBuf[c] = decimal.NewFromInt(1).Sub(pc.Buffer.Fraction)
			plan.keepLow[c] = p.LowStock == nil || contains(p.LowStock.Channels, name)
			row := e.poolOf[c]
			for i := 0; i < np; i++ {
				// The first pool wins a pair two pools claim; the loader
				// has already reported the overlap as an error.
				if row[i] < 0 && p.SKUs.Contains(i) {
					row[i] = int32(pi)
				}
			}
		}
		e.pools = append(e.pools, plan)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// quantity derives the listed quantity of channel c for product i:
//
//	A      = max(0, on_hand - safety_stock)
//	others = sum of reserve over the pool's other channels
//	base   = max(0, A - others)
//	q      = 0 below the low-stock threshold for a throttled channel, else
//	         floor(base * (1 - buffer)) (or base - units), capped at max
func (r *skuRun) quantity(c, i int, tr *tracer) adapters.Quantity {
	pi := r.e.poolOf[c][i]
	if pi < 0 {
		if tr != nil {
			tr.step("quantity", "unmanaged", "null", "this channel and SKU are in no pool", r.e.s.Channels[c].Range)
		}
		return adapters.Quantity{}
	}
	plan := r.e.pools[pi]
	p := plan.p
	ch := r.e.s.Channels[c]
	sku := r.e.s.Products[i].SKU
	onHand, ok := r.opts.Stock.OnHand(p.Source, sku)
	src, _ := r.e.s.StockSource(p.Source)
	if !ok {
		onHand = 0
		key := p.Source + "\x00" + sku
		if r.missing == nil {
			r.missing = map[string]bool{}
		}
		if !r.missing[key] {
			r.missing[key] = true
			f := Finding{Severity: Warning, Code: CodeStockMissing, SKU: sku,
				Message: fmt.Sprintf("stock source %q has no record of %s; it is counted as 0 on hand", p.Source, sku)}
			if src != nil {
				f.Range = src.Range
			}
			r.add(f)
		}
	}
	if tr != nil {
		detail := fmt.Sprintf("stock source %q", p.Source)
		if !ok {
			detail += ", which has no record of this SKU"
		}
		rng := p.Range
		if src != nil {
			rng = src.Range
		}
		tr.step("quantity", "on hand", fmt.Sprint(onHand), detail, rng)
	}
	a := max(0, onHand-p.SafetyStock)
	if tr != nil && p.SafetyStock > 0 {
		tr.step("quantity", "safety stock", fmt.Sprint(a), fmt.Sprintf("max(0, %d - %d) withheld from every channel of pool %q", onHand, p.SafetyStock, p.Name), p.SafetyStockRange)
	}
	base := max(0, a-plan.others[c])
	if tr != nil && plan.others[c] > 0 {
		tr.step("quantity", "reserves", fmt.Sprint(base), fmt.Sprintf("max(0, %d - %d) ring-fenced for the pool's other channels", a, plan.others[c]), p.Range)
	}
	if p.LowStock != nil && a < p.LowStock.Threshold && !plan.keepLow[c] {
		if tr != nil {
			tr.step("quantity", "low stock", "0", fmt.Sprintf("%d available is under the threshold %d, and %q is not among the channels that keep listing", a, p.LowStock.Threshold, ch.Name), p.LowStock.Range)
		}
		return adapters.Quantity{Units: 0, Valid: true}
	}
	pc := p.PerChannel[ch.Name]
	q := base
	switch {
	case pc.Buffer.Percent && !pc.Buffer.Fraction.IsZero():
		q = decimal.NewFromInt(base).Mul(plan.oneMinusBuf[c]).Floor().IntPart()
		if tr != nil {
			tr.step("quantity", "buffer", fmt.Sprint(q), fmt.Sprintf("floor(%d x (1 - %s))", base, pc.Buffer.Fraction.Shift(2).String()+"%"), pc.Buffer.Range)
		}
	case !pc.Buffer.Percent && pc.Buffer.Units > 0:
		q = max(0, base-pc.Buffer.Units)
		if tr != nil {
			tr.step("quantity", "buffer", fmt.Sprint(q), fmt.Sprintf("max(0, %d - %d units)", base, pc.Buffer.Units), pc.Buffer.Range)
		}
	}
	if pc.HasMax && q > pc.Max {
		q = pc.Max
		if tr != nil {
			tr.step("quantity", "max", fmt.Sprint(q), fmt.Sprintf("capped at max %d", pc.Max), pc.MaxRange)
		}
	}
	if tr != nil {
		tr.step("quantity", "quantity", fmt.Sprint(q), "", hclNone)
	}
	return adapters.Quantity{Units: q, Valid: true}
}
