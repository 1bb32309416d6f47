package spec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/spec/money"
)

func (l *loader) decodeMatrices(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "skus"}, {Name: "rounding"}, {Name: "map_floor"}, {Name: "min_margin"}, {Name: "anchor"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "channel", LabelNames: []string{"name"}}, {Type: "override"}},
	}
	seen := map[string]*PriceMatrix{}
	var all []*PriceMatrix
	for _, b := range blocks {
		name := b.Labels[0]
		where := fmt.Sprintf("Price matrix %q", name)
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid price matrix name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate price matrix", fmt.Sprintf("Price matrix %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		m := &PriceMatrix{Name: name, Range: b.DefRange, MAPFloor: true, RoundingText: "none",
			Rounding: map[string]money.Rounding{}, PerChannel: map[string]MatrixChannel{}, Overrides: map[string]map[string]Override{}}
		seen[name] = m
		c := l.content(b.Body, schema)
		ok := true
		if a := c.Attributes["skus"]; a != nil {
			if set, good := l.skuSet(a, where); good {
				m.SKUs = set
			} else {
				ok = false
			}
		}
		roundingOK := true
		if a := c.Attributes["rounding"]; a != nil {
			m.RoundingRange = a.Expr.Range()
			if s, good := l.str(a); good {
				m.RoundingText = s
			} else {
				ok, roundingOK = false, false
			}
		}
		if a := c.Attributes["map_floor"]; a != nil {
			m.MAPFloorRange = a.Expr.Range()
			if v, good := l.boolean(a); good {
				m.MAPFloor = v
			} else {
				ok = false
			}
		}
		if a := c.Attributes["min_margin"]; a != nil {
			m.MinMarginRange = a.Expr.Range()
			if p, good := l.percent(a, one, true); good {
				m.MinMargin = decimal.NullDecimal{Decimal: p, Valid: true}
			} else {
				ok = false
			}
		}
		if a := c.Attributes["anchor"]; a != nil {
			m.AnchorRange = a.Expr.Range()
			if s, good := l.str(a); good {
				if l.channelRef(s, a.Expr.Range(), where+"'s anchor") {
					m.Anchor = s
				} else {
					ok = false
				}
			} else {
				ok = false
			}
		}
		for _, blk := range c.Blocks {
			switch blk.Type {
			case "channel":
				if !l.decodeMatrixChannel(m, blk) {
					ok = false
				}
			case "override":
				if !l.decodeOverride(m, blk) {
					ok = false
				}
			}
		}
		if roundingOK && !l.resolveRounding(m) {
			ok = false
		}
		for chName, mc := range m.PerChannel {
			if mc.MaxDeviation.Valid && m.Anchor == "" && c.Attributes["anchor"] == nil {
				l.errAt(mc.DeviationRange, "No anchor for max_deviation", fmt.Sprintf("Channel %q has max_deviation, measured against the matrix's anchor channel, but price matrix %q has no anchor. Set anchor to the reference channel.", chName, m.Name))
				ok = false
			}
		}
		all = append(all, m)
		if ok {
			l.spec.Matrices = append(l.spec.Matrices, m)
		}
	}
	// Overlaps are checked over every matrix, even one with other mistakes,
	// so that fixing those does not reveal a new error.
	l.checkMatrixOverlap(all)
}

// resolveRounding parses the matrix rule for every channel's currency, as a
// price ending has to fit the currency's minor unit ("0.99" cannot be yen).
func (l *loader) resolveRounding(m *PriceMatrix) bool {
	ok := true
	for _, ch := range l.spec.Channels {
		if mc, has := m.PerChannel[ch.Name]; has && mc.Rounding != nil {
			m.Rounding[ch.Name] = *mc.Rounding
			continue
		}
		r, err := money.ParseRounding(m.RoundingText, ch.Scale)
		if err != nil {
			rng := m.RoundingRange
			if rng.Filename == "" {
				rng = m.Range
			}
			if strings.Contains(err.Error(), "decimal places") {
				l.errAt(rng, "Rounding does not fit a currency", fmt.Sprintf("%s for channel %q, which sells in %s. Give that channel its own rounding in a channel %q block.", capitalize(err.Error()), ch.Name, ch.Currency, ch.Name))
			} else {
				l.errAt(rng, "Invalid rounding", capitalize(err.Error())+".")
			}
			ok = false
			if !strings.Contains(err.Error(), "decimal places") {
				return false
			}
			continue
		}
		m.Rounding[ch.Name] = r
	}
	return ok
}

func (l *loader) decodeMatrixChannel(m *PriceMatrix, b *hcl.Block) bool {
	name := b.Labels[0]
	if !l.channelRef(name, b.LabelRanges[0], fmt.Sprintf("Price matrix %q", m.Name)) {
		return false
	}
	if prev, dup := m.PerChannel[name]; dup {
		l.errAt(b.LabelRanges[0], "Duplicate channel block", fmt.Sprintf("Price matrix %q already has a block for channel %q at %s.", m.Name, name, rangeLine(prev.Range)))
		return false
	}
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "adjust"}, {Name: "max_deviation"}, {Name: "rounding"}}})
	mc := MatrixChannel{Range: b.DefRange}
	ok := true
	if a := c.Attributes["adjust"]; a != nil {
		mc.AdjustRange = a.Expr.Range()
		if s, good := l.str(a); good {
			adj, err := money.ParseAdjustment(s)
			switch {
			case err != nil:
				l.errAt(a.Expr.Range(), "Invalid adjustment", capitalize(err.Error())+".")
				ok = false
			case adj.Percent && !adj.Value.GreaterThan(one.Neg()):
				l.errAt(a.Expr.Range(), "Invalid adjustment", fmt.Sprintf("%s would take every price to zero or below.", s))
				ok = false
			default:
				mc.Adjust = adj
			}
		} else {
			ok = false
		}
	}
	if a := c.Attributes["max_deviation"]; a != nil {
		mc.DeviationRange = a.Expr.Range()
		if p, good := l.percent(a, decimal.NewFromInt(10), false); good {
			mc.MaxDeviation = decimal.NullDecimal{Decimal: p, Valid: true}
		} else {
			ok = false
		}
	}
	if a := c.Attributes["rounding"]; a != nil {
		mc.RoundingRange = a.Expr.Range()
		if s, good := l.str(a); good {
			ch, _, _ := l.spec.Channel(name)
			r, err := money.ParseRounding(s, ch.Scale)
			if err != nil {
				l.errAt(a.Expr.Range(), "Invalid rounding", capitalize(err.Error())+".")
				ok = false
			} else {
				mc.Rounding = &r
			}
		} else {
			ok = false
		}
	}
	m.PerChannel[name] = mc
	return ok
}

func (l *loader) decodeOverride(m *PriceMatrix, b *hcl.Block) bool {
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "sku", Required: true}, {Name: "channel", Required: true}, {Name: "price", Required: true},
	}})
	o := Override{Range: b.DefRange}
	ok := c.Attributes["sku"] != nil && c.Attributes["channel"] != nil && c.Attributes["price"] != nil
	if !ok {
		return false
	}
	skuAttr, chAttr, priceAttr := c.Attributes["sku"], c.Attributes["channel"], c.Attributes["price"]
	var ch *Channel
	if s, good := l.str(chAttr); good && l.channelRef(s, chAttr.Expr.Range(), "The override") {
		o.Channel = s
		ch, _, _ = l.spec.Channel(s)
	} else {
		ok = false
	}
	if s, good := l.str(skuAttr); good {
		o.SKU = s
		i, found := l.spec.productIdx[s]
		switch {
		case !found && !l.brokenSKUs[s]:
			l.errAt(skuAttr.Expr.Range(), "Unknown SKU", fmt.Sprintf("The override sets a price for SKU %q, which is not in the catalog.%s", s, didYouMeanSKU(s, l.spec.Products)))
			ok = false
		case !found:
			ok = false
		case !m.SKUs.Contains(i):
			l.errAt(skuAttr.Expr.Range(), "SKU outside the matrix", fmt.Sprintf("SKU %q is not in the skus of price matrix %q, so this override would never apply.", s, m.Name))
			ok = false
		}
	} else {
		ok = false
	}
	if p, good := l.number(priceAttr); good {
		switch {
		case !p.IsPositive():
			l.errAt(priceAttr.Expr.Range(), "Invalid price", fmt.Sprintf("An override price must be greater than zero; it is %s.", p))
			ok = false
		case ch != nil && p.Exponent() < -ch.Scale && !p.Equal(p.Round(ch.Scale)):
			l.errAt(priceAttr.Expr.Range(), "Price finer than the currency", fmt.Sprintf("%s has more decimal places than %s allows (%d). An override is used exactly as written.", p, ch.Currency, ch.Scale))
			ok = false
		default:
			o.Price = p
		}
	} else {
		ok = false
	}
	if !ok {
		return false
	}
	byCh := m.Overrides[o.Channel]
	if byCh == nil {
		byCh = map[string]Override{}
		m.Overrides[o.Channel] = byCh
	}
	if prev, dup := byCh[o.SKU]; dup {
		l.errAt(b.DefRange, "Duplicate override", fmt.Sprintf("SKU %q on channel %q already has an override at %s.", o.SKU, o.Channel, rangeLine(prev.Range)))
		return false
	}
	byCh[o.SKU] = o
	return true
}

// checkMatrixOverlap reports SKUs that two price matrices claim.
func (l *loader) checkMatrixOverlap(matrices []*PriceMatrix) {
	n := len(l.spec.Products)
	owner := make([]int32, n)
	for mi, m := range matrices {
		clash := map[int32][]string{}
		for i := 0; i < n; i++ {
			if !m.SKUs.Contains(i) {
				continue
			}
			if prev := owner[i]; prev != 0 {
				clash[prev] = append(clash[prev], l.spec.Products[i].SKU)
				continue
			}
			owner[i] = int32(mi + 1)
		}
		for prev, skus := range clash {
			other := matrices[prev-1]
			rng := m.Range
			if m.SKUs != nil {
				rng = m.SKUs.Range
			}
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "SKU in two price matrices",
				Detail: fmt.Sprintf("Price matrices %q (%s) and %q both price %d SKU(s): %s. A SKU takes its prices from one matrix; narrow the skus of one of them.",
					other.Name, rangeLine(other.Range), m.Name, len(skus), sampleList(skus, 5)),
				Subject: rng.Ptr(),
			})
		}
	}
}

func (l *loader) decodeParities(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "channel", Required: true}, {Name: "against", Required: true}, {Name: "max_gap", Required: true}, {Name: "on_violation"},
	}}
	seen := map[string]*Parity{}
	for _, b := range blocks {
		name := b.Labels[0]
		where := fmt.Sprintf("Parity rule %q", name)
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid parity name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate parity rule", fmt.Sprintf("Parity rule %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		p := &Parity{Name: name, Range: b.DefRange, OnViolation: ParityMatch}
		seen[name] = p
		c := l.content(b.Body, schema)
		ok := c.Attributes["channel"] != nil && c.Attributes["against"] != nil && c.Attributes["max_gap"] != nil
		if a := c.Attributes["channel"]; a != nil {
			if s, good := l.str(a); good && l.channelRef(s, a.Expr.Range(), where) {
				p.Channel = s
			} else {
				ok = false
			}
		}
		if a := c.Attributes["against"]; a != nil {
			against, good := l.channelList(a, where)
			if !good {
				ok = false
			}
			if contains(against, p.Channel) {
				l.errAt(a.Expr.Range(), "Parity against itself", fmt.Sprintf("%s protects %q against a list that includes %q itself.", where, p.Channel, p.Channel))
				ok = false
			}
			if good && len(against) == 0 {
				l.errAt(a.Expr.Range(), "Empty parity rule", fmt.Sprintf("%s compares against no channel.", where))
				ok = false
			}
			p.Against = against
		}
		if a := c.Attributes["max_gap"]; a != nil {
			p.MaxGapRange = a.Expr.Range()
			if g, good := l.percent(a, decimal.NewFromInt(10), false); good {
				p.MaxGap = g
			} else {
				ok = false
			}
		}
		if a := c.Attributes["on_violation"]; a != nil {
			if s, good := l.oneOf(a, string(ParityMatch), string(ParityBlock), string(ParityWarn)); good {
				p.OnViolation = ParityAction(s)
			} else {
				ok = false
			}
		}
		if ok {
			l.spec.Parities = append(l.spec.Parities, p)
		}
	}
	l.checkParityCycles()
}

// checkParityCycles rejects rules that would chase one another: a channel's
// price must be final before another channel is compared with it.
func (l *loader) checkParityCycles() {
	edges := map[string][]*Parity{}
	for _, p := range l.spec.Parities {
		edges[p.Channel] = append(edges[p.Channel], p)
	}
	state := map[string]int{}
	var reported bool
	var visit func(ch string, path []string)
	visit = func(ch string, path []string) {
		if reported {
			return
		}
		switch state[ch] {
		case 1:
			start := 0
			for i, c := range path {
				if c == ch {
					start = i
				}
			}
			cycle := append(append([]string{}, path[start:]...), ch)
			rule := edges[path[len(path)-1]][0]
			l.errAt(rule.Range, "Parity rules form a cycle", fmt.Sprintf("Each channel's price waits for the next: %s. Remove one of these comparisons.", strings.Join(cycle, " -> ")))
			reported = true
			return
		case 2:
			return
		}
		state[ch] = 1
		for _, p := range edges[ch] {
			for _, a := range p.Against {
				visit(a, append(path, ch))
			}
		}
		state[ch] = 2
	}
	for _, ch := range sortedKeys(edges) {
		visit(ch, nil)
	}
}
