package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// History is what Diff needs of the store: the value accord last applied
// to each field.
type History interface {
	LastApplied(ctx context.Context, keys []store.FieldKey) (map[store.FieldKey]store.Applied, error)
}

// Input is everything a diff compares.
type Input struct {
	Spec *spec.Spec
	// Desired is the derivation; its listings are sorted by channel, SKU.
	Desired *derive.Result
	// Observed holds each channel's listings by the channel's own SKU. A
	// channel in Channels without an entry was not observed.
	Observed map[string][]adapters.Listing
	// CanCreate says which channels create missing listings.
	CanCreate map[string]bool
	History   History
	// Channels are the channels in scope, and SKUs the catalog SKUs (nil:
	// all, and listings on a channel that are not in the catalog are
	// reported as unmanaged).
	Channels []string
	SKUs     []string
	Revision string
	Now      time.Time
}

// pending is a field that differs and whose reason depends on history.
type pending struct {
	change Change
	key    store.FieldKey
	policy spec.DriftAction
}

// Diff compares desired, observed and history into a plan.
func Diff(ctx context.Context, in Input) (*Plan, error) {
	s := in.Spec
	p := &Plan{Revision: in.Revision, At: in.Desired.At, Created: in.Now, Currencies: map[string]string{}}
	inScope := map[string]bool{}
	for _, c := range in.Channels {
		inScope[c] = true
		p.Channels = append(p.Channels, c)
		if ch, _, ok := s.Channel(c); ok {
			p.Currencies[c] = ch.Currency
		}
	}
	sort.Strings(p.Channels)

	// Observed listings by channel SKU, and which of them the catalog knows.
	index := map[string]map[string]int{}
	matched := map[string][]bool{}
	for _, c := range p.Channels {
		obs := in.Observed[c]
		idx := make(map[string]int, len(obs))
		for i := range obs {
			idx[obs[i].SKU] = i
		}
		index[c] = idx
		matched[c] = make([]bool, len(obs))
	}
	// Observed prices in the catalog currency, for the parity check.
	var pend []pending
	chIdx := map[string]*spec.Channel{}
	for _, c := range p.Channels {
		if ch, _, ok := s.Channel(c); ok {
			chIdx[c] = ch
		}
	}
	observedPrice := map[adapters.Key]decimal.Decimal{}

	for i := range in.Desired.Listings {
		d := &in.Desired.Listings[i]
		ch := chIdx[d.Channel]
		if ch == nil || !inScope[d.Channel] {
			continue
		}
		prod, _, ok := s.Product(d.SKU)
		if !ok {
			continue
		}
		chSKU, listed := ch.ChannelSKU(prod)
		if !listed {
			continue
		}
		if _, observed := in.Observed[d.Channel]; !observed {
			continue
		}
		oi, ok := index[d.Channel][chSKU]
		if !ok {
			if in.CanCreate[d.Channel] {
				l := d.Listing
				p.Changes = append(p.Changes, Change{Channel: d.Channel, SKU: d.SKU, Field: adapters.FieldListing, Reason: ReasonSpec, Listing: &l})
			} else {
				p.Exceptions = append(p.Exceptions, Exception{Code: CodeMissingListing, Channel: d.Channel, SKU: d.SKU, Action: "report",
					Message: fmt.Sprintf("%s does not list %s (its SKU there: %s) and cannot create listings; add it on the channel", d.Channel, d.SKU, chSKU)})
			}
			continue
		}
		matched[d.Channel][oi] = true
		o := &in.Observed[d.Channel][oi]
		scale := ch.Scale
		diff := func(field string, want, have adapters.Value, policy spec.DriftAction) {
			if want == have {
				return
			}
			pend = append(pend, pending{
				change: Change{Channel: d.Channel, SKU: d.SKU, Field: field, From: have, To: want},
				key:    store.FieldKey{Channel: d.Channel, SKU: d.SKU, Field: field},
				policy: policy,
			})
		}
		if d.Quantity.Valid {
			diff(adapters.FieldQuantity, adapters.QuantityValue(d.Quantity), adapters.QuantityValue(o.Quantity), ch.Drift.Quantity)
			if o.Quantity.Valid && o.Quantity.Units > d.Quantity.Units {
				msg := fmt.Sprintf("lists %d; its allocation is %d", o.Quantity.Units, d.Quantity.Units)
				if d.Quantity.Units == 0 {
					msg = fmt.Sprintf("lists %d while its pool has nothing to sell", o.Quantity.Units)
				}
				p.Exceptions = append(p.Exceptions, Exception{Code: CodeOversellRisk, Channel: d.Channel, SKU: d.SKU, Field: adapters.FieldQuantity,
					Observed: adapters.QuantityValue(o.Quantity), Expected: adapters.QuantityValue(d.Quantity), Message: msg})
			}
		}
		if d.Price.Valid {
			diff(adapters.FieldPrice, adapters.Money(d.Price, scale), adapters.Money(o.Price, scale), ch.Drift.Price)
			diff(adapters.FieldCompareAt, adapters.Money(d.CompareAt, scale), adapters.Money(o.CompareAt, scale), ch.Drift.Price)
			if o.Price.Valid {
				observedPrice[d.Key] = o.Price.Decimal.Div(ch.FXRate)
				if prod.MAP.Valid {
					floor := prod.MAP.Decimal.Mul(ch.FXRate)
					if o.Price.Decimal.LessThan(floor) {
						p.Exceptions = append(p.Exceptions, Exception{Code: CodeMAPViolation, Channel: d.Channel, SKU: d.SKU, Field: adapters.FieldPrice,
							Observed: adapters.Money(o.Price, scale), Expected: adapters.Money(decimal.NullDecimal{Decimal: floor, Valid: true}, scale),
							Message: fmt.Sprintf("listed at %s %s, under the minimum advertised price %s", o.Price.Decimal.StringFixed(scale), ch.Currency, floor.StringFixed(scale))})
					}
				}
			}
		}
		for _, f := range d.Fields {
			have := adapters.Null
			if v, ok := o.Field(f.Name); ok {
				have = adapters.Text(v)
			}
			diff(f.Name, adapters.Text(f.Value), have, ch.Drift.Fields)
		}
	}

	if err := classify(ctx, in.History, pend, p); err != nil {
		return nil, err
	}
	p.Exceptions = append(p.Exceptions, parityExceptions(s, inScope, observedPrice, in.Desired)...)

	if in.SKUs == nil {
		for _, c := range p.Channels {
			obs := in.Observed[c]
			for i := range obs {
				if !matched[c][i] {
					p.Exceptions = append(p.Exceptions, Exception{Code: CodeUnmanagedListing, Channel: c, SKU: obs[i].SKU, Action: "report",
						Message: fmt.Sprintf("%s lists SKU %s, which is not in the catalog", c, obs[i].SKU)})
				}
			}
		}
	}
	sortPlan(p)
	p.Blocked = guards(s, p)
	return p, nil
}

// classify gives each differing field its reason from the history.
func classify(ctx context.Context, h History, pend []pending, p *Plan) error {
	if len(pend) == 0 {
		return nil
	}
	keys := make([]store.FieldKey, len(pend))
	for i := range pend {
		keys[i] = pend[i].key
	}
	last := map[store.FieldKey]store.Applied{}
	if h != nil {
		var err error
		if last, err = h.LastApplied(ctx, keys); err != nil {
			return fmt.Errorf("plan: read last applied values: %w", err)
		}
	}
	for i := range pend {
		pc := pend[i]
		c := pc.change
		a, ok := last[pc.key]
		if !ok || a.Value != c.To {
			c.Reason = ReasonSpec
			p.Changes = append(p.Changes, c)
			continue
		}
		if pc.policy == spec.DriftIgnore {
			continue
		}
		p.Exceptions = append(p.Exceptions, Exception{Code: CodeDrift, Channel: c.Channel, SKU: c.SKU, Field: c.Field,
			Observed: c.From, Expected: c.To, Action: string(pc.policy),
			Message: fmt.Sprintf("%s was changed on the channel outside accord (accord applied %s at %s, revision %s)", c.Field, a.Value, a.At.UTC().Format(time.RFC3339), ShortRevision(a.Revision))})
		if pc.policy == spec.DriftCorrect {
			c.Reason = ReasonDrift
			p.Changes = append(p.Changes, c)
		}
	}
	return nil
}

// ShortRevision shortens a revision for people: "sha256:" and 12 hex
// digits, or a git commit's first 19 characters.
func ShortRevision(r string) string {
	if len(r) > 19 {
		return r[:19]
	}
	return r
}

// parityExceptions checks the spec's parity rules against the prices the
// channels show now (converted to the catalog currency).
func parityExceptions(s *spec.Spec, inScope map[string]bool, observed map[adapters.Key]decimal.Decimal, res *derive.Result) []Exception {
	var out []Exception
	if len(s.Parities) == 0 || len(observed) == 0 {
		return nil
	}
	skus := map[string]bool{}
	for k := range observed {
		skus[k.SKU] = true
	}
	sorted := make([]string, 0, len(skus))
	for sku := range skus {
		sorted = append(sorted, sku)
	}
	sort.Strings(sorted)
	one := decimal.NewFromInt(1)
	for _, par := range s.Parities {
		if !inScope[par.Channel] {
			continue
		}
		ch, _, _ := s.Channel(par.Channel)
		for _, sku := range sorted {
			price, ok := observed[adapters.Key{Channel: par.Channel, SKU: sku}]
			if !ok {
				continue
			}
			var limit decimal.Decimal
			found := false
			for _, a := range par.Against {
				if v, ok := observed[adapters.Key{Channel: a, SKU: sku}]; ok && (!found || v.LessThan(limit)) {
					limit, found = v, true
				}
			}
			if !found {
				continue
			}
			limit = limit.Mul(one.Add(par.MaxGap))
			if price.GreaterThan(limit) {
				shown := price.Mul(ch.FXRate)
				out = append(out, Exception{Code: CodePriceParity, Channel: par.Channel, SKU: sku, Field: adapters.FieldPrice,
					Observed: adapters.Money(decimal.NullDecimal{Decimal: shown, Valid: true}, ch.Scale),
					Message: fmt.Sprintf("listed at %s %s, above parity %q's limit of %s %s (%s + %s)", shown.StringFixed(ch.Scale), ch.Currency, par.Name,
						limit.Mul(ch.FXRate).StringFixed(ch.Scale), ch.Currency, strings.Join(par.Against, ", "), par.MaxGap.Shift(2).String()+"%")})
			}
		}
	}
	return out
}

// fieldRank orders a listing's changes: creation, quantity, price,
// compare-at price, then listing fields by name.
func fieldRank(f string) int {
	switch f {
	case adapters.FieldListing:
		return 0
	case adapters.FieldQuantity:
		return 1
	case adapters.FieldPrice:
		return 2
	case adapters.FieldCompareAt:
		return 3
	}
	return 4
}

func sortPlan(p *Plan) {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := &p.Changes[i], &p.Changes[j]
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		if a.SKU != b.SKU {
			return a.SKU < b.SKU
		}
		if ra, rb := fieldRank(a.Field), fieldRank(b.Field); ra != rb {
			return ra < rb
		}
		return a.Field < b.Field
	})
	sort.SliceStable(p.Exceptions, func(i, j int) bool {
		a, b := &p.Exceptions[i], &p.Exceptions[j]
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		if a.SKU != b.SKU {
			return a.SKU < b.SKU
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Code < b.Code
	})
}

// guards checks the spec's guard block and says what the plan breaks.
func guards(s *spec.Spec, p *Plan) []string {
	var out []string
	g := s.Guard
	where := ""
	if g.Range.Filename != "" {
		where = fmt.Sprintf(" (guard at %s:%d)", g.Range.Filename, g.Range.Start.Line)
	}
	if g.MaxChanges > 0 && int64(len(p.Changes)) > g.MaxChanges {
		out = append(out, fmt.Sprintf("max_changes: the plan makes %d changes; the spec allows %d%s", len(p.Changes), g.MaxChanges, where))
	}
	if g.MaxPriceDrop.Valid {
		var n int
		var worst *Change
		var worstDrop decimal.Decimal
		for i := range p.Changes {
			c := &p.Changes[i]
			if c.Field != adapters.FieldPrice {
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
