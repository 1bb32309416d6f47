package plan

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// guards checks the spec's guard block and says what the plan breaks.
func guards(s *spec.Spec, p *Plan) []string { return Guards(s, p.Changes) }

// Guards checks changes against the spec's guard block and says what they
// break: a plan's, before apply refuses it, or a pull request's, before it
// is merged.
func Guards(s *spec.Spec, changes []Change) []string {
	p := &Plan{Changes: changes}
	var out []string
	g := s.Guard
	where := ""
	if g.Range.Filename != "" {
		where = fmt.Sprintf(" (guard at %s:%d)", g.Range.Filename, g.Range.Start.Line)
	}
	if g.MaxChanges > 0 && int64(len(p.Changes)) > g.MaxChanges {
		out = append(out, fmt.Sprintf("max_changes: %d changes; the spec allows %d%s", len(p.Changes), g.MaxChanges, where))
	}
	if g.MaxPriceDrop.Valid {
		var n int
		var worst *Change
		var worstDrop decimal.Decimal
		for i := range p.Changes {
			c := &p.Changes[i]
			if c.Kind != adapters.KindPrice {
				continue
			}
			drop, ok := PriceDrop(c)
			if ok && drop.GreaterThan(g.MaxPriceDrop.Decimal) {
				n++
				if worst == nil || drop.GreaterThan(worstDrop) {
					worst, worstDrop = c, drop
				}
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("max_price_drop: %d price cuts exceed %s%%, the largest %s %s from %s to %s (-%s%%)%s",
				n, g.MaxPriceDrop.Decimal.Shift(2).String(), worst.Channel, worst.SKU, worst.From.Text, worst.To.Text, worstDrop.Shift(2).StringFixed(1), where))
		}
	}
	return out
}

// PriceDrop returns how far a price change cuts the observed price, as a
// fraction, and false when it is not a cut.
func PriceDrop(c *Change) (decimal.Decimal, bool) {
	from, err1 := c.From.Decimal()
	to, err2 := c.To.Decimal()
	if err1 != nil || err2 != nil || !from.Valid || !to.Valid || !from.Decimal.IsPositive() || !to.Decimal.LessThan(from.Decimal) {
		return decimal.Decimal{}, false
	}
	return from.Decimal.Sub(to.Decimal).Div(from.Decimal), true
}
