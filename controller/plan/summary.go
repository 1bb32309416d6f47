package plan

import (
	"sort"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// ChannelSummary is a channel's part of a plan in business terms.
type ChannelSummary struct {
	Channel string
	Changes int
	// PriceRises and PriceCuts count price changes up and down; MaxRise and
	// MaxCut are the largest, as fractions of the observed price.
	PriceRises, PriceCuts int
	MaxRise, MaxCut       decimal.Decimal
	// CompareAt counts compare-at price changes (promotions starting or
	// ending).
	CompareAt int
	// QuantityUp and QuantityDown count quantity changes; Zeroed those that
	// set a quantity to 0.
	QuantityUp, QuantityDown, Zeroed int
	// Created counts listings created, Fields listing field changes.
	Created, Fields int
	// Drift counts changes whose reason is drift.
	Drift int
	// Exceptions counts exceptions by code.
	Exceptions map[string]int
}

// Summarize returns the per-channel summary of every channel the plan
// covers, in channel order.
func (p *Plan) Summarize() []ChannelSummary {
	byCh := map[string]*ChannelSummary{}
	out := make([]ChannelSummary, len(p.Channels))
	for i, c := range p.Channels {
		out[i] = ChannelSummary{Channel: c, Exceptions: map[string]int{}}
		byCh[c] = &out[i]
	}
	get := func(c string) *ChannelSummary {
		if s, ok := byCh[c]; ok {
			return s
		}
		out = append(out, ChannelSummary{Channel: c, Exceptions: map[string]int{}})
		byCh = map[string]*ChannelSummary{}
		for i := range out {
			byCh[out[i].Channel] = &out[i]
		}
		return byCh[c]
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		s := get(c.Channel)
		s.Changes++
		if c.Reason == ReasonDrift {
			s.Drift++
		}
		switch c.Kind {
		case adapters.KindCreate:
			s.Created++
		case adapters.KindQuantity:
			from, _ := c.From.Int()
			to, _ := c.To.Int()
			switch {
			case !c.From.Set || to > from:
				s.QuantityUp++
			default:
				s.QuantityDown++
			}
			if c.To.Set && to == 0 {
				s.Zeroed++
			}
		case adapters.KindPrice:
			if cut, ok := PriceDrop(c); ok {
				s.PriceCuts++
				if cut.GreaterThan(s.MaxCut) {
					s.MaxCut = cut
				}
			} else if rise, ok := priceRise(c); ok {
				s.PriceRises++
				if rise.GreaterThan(s.MaxRise) {
					s.MaxRise = rise
				}
			}
		case adapters.KindCompareAt:
			s.CompareAt++
		default:
			s.Fields++
		}
	}
	for i := range p.Exceptions {
		e := &p.Exceptions[i]
		get(e.Channel).Exceptions[e.Code]++
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

func priceRise(c *Change) (decimal.Decimal, bool) {
	from, err1 := c.From.Decimal()
	to, err2 := c.To.Decimal()
	if err1 != nil || err2 != nil || !to.Valid {
		return decimal.Decimal{}, false
	}
	if !from.Valid || !from.Decimal.IsPositive() {
		return decimal.Decimal{}, true
	}
	if !to.Decimal.GreaterThan(from.Decimal) {
		return decimal.Decimal{}, false
	}
	return to.Decimal.Sub(from.Decimal).Div(from.Decimal), true
}

// ExceptionCodes returns the codes of a count map, sorted.
func ExceptionCodes(m map[string]int) []string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}
