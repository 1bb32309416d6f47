package spec

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/accordhq/accord/spec/money"
)

// localLayouts are the forms of a time written without an offset, read in
// settings.timezone.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// ParseTime reads an RFC 3339 time, or a local date-time without an offset
// in loc ("2026-11-27T00:00:00", "2026-11-27").
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write RFC 3339 such as \"2026-11-27T00:00:00-05:00\", or \"2026-11-27T00:00:00\" for the spec's time zone", s)
}

func (l *loader) time(a *hcl.Attribute) (time.Time, bool) {
	s, ok := l.str(a)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTime(s, l.spec.Settings.Timezone)
	if err != nil {
		l.errAt(a.Expr.Range(), "Invalid time", capitalize(err.Error())+".")
		return time.Time{}, false
	}
	return t, true
}

func (l *loader) decodePromotions(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "starts"}, {Name: "ends"}, {Name: "channels"}, {Name: "skus"},
		{Name: "where"}, {Name: "discount"}, {Name: "price"}, {Name: "priority"}, {Name: "partner"},
		{Name: "min_discount"}, {Name: "max_discount"}, {Name: "campaign"},
	}}
	seen := map[string]*Promotion{}
	var pending []pendingPromotion
	for _, b := range blocks {
		name := b.Labels[0]
		where := fmt.Sprintf("Promotion %q", name)
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid promotion name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate promotion", fmt.Sprintf("Promotion %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		p := &Promotion{Name: name, Range: b.DefRange}
		seen[name] = p
		c := l.content(b.Body, schema)
		var camp *Campaign
		ok := true
		if a := c.Attributes["campaign"]; a != nil {
			camp, ok = l.campaignOf(a)
		}
		if !l.decodeWindow(p, c, b, camp, where) {
			ok = false
		}
		if a := c.Attributes["channels"]; a != nil {
			chans, good := l.channelList(a, where)
			p.Channels = chans
			if !good {
				ok = false
			}
		}
		if !l.decodeDiscount(p, c, where) {
			ok = false
		}
		if camp != nil && ok && !l.joinCampaign(p, camp, c.Attributes["campaign"].Range, c.Attributes["starts"] != nil || c.Attributes["ends"] != nil, where) {
			ok = false
		}
		if a := c.Attributes["priority"]; a != nil {
			p.PriorityRange = a.Expr.Range()
			n, good := l.integer(a)
			p.Priority, ok = n, ok && good
		}
		if a := c.Attributes["partner"]; a != nil {
			s, good := l.str(a)
			p.Partner, ok = s, ok && good
		}
		var skus *SKUSet
		if a := c.Attributes["skus"]; a != nil {
			set, good := l.skuSet(a, where)
			skus, ok = set, ok && good
		}
		if w := c.Attributes["where"]; w != nil && !l.checkProductRefs(w.Expr, false) {
			ok = false
		}
		if ok {
			pending = append(pending, pendingPromotion{p: p, skus: skus, where: c.Attributes["where"]})
		}
	}
	for _, pp := range l.coverage(pending) {
		if pp.p.Campaign != nil && !l.checkEligible(pp.p, pp.skus != nil || pp.where != nil, pp.p.Range) {
			continue
		}
		l.spec.Promotions = append(l.spec.Promotions, pp.p)
	}
}

// decodeWindow reads a promotion's starts and ends. A promotion that joins
// a campaign may leave either out and take the campaign's; any other needs
// both.
func (l *loader) decodeWindow(p *Promotion, c *hcl.BodyContent, b *hcl.Block, camp *Campaign, where string) bool {
	ok := true
	for _, name := range []string{"starts", "ends"} {
		a := c.Attributes[name]
		if a == nil {
			if c.Attributes["campaign"] == nil {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required argument",
					Detail:  fmt.Sprintf("The argument %q is required, but no definition was found. %s needs a window (starts and ends), unless it joins a campaign and takes the campaign's.", name, where),
					Subject: b.Body.MissingItemRange().Ptr()})
				ok = false
			} else if camp != nil {
				if name == "starts" {
					p.Starts = camp.Def.Starts
				} else {
					p.Ends = camp.Def.Ends
				}
			}
			continue
		}
		if p.WindowRange.Filename == "" {
			p.WindowRange = a.Range
		} else {
			p.WindowRange = hcl.RangeOver(p.WindowRange, a.Range)
		}
		t, good := l.time(a)
		if !good {
			ok = false
			continue
		}
		if name == "starts" {
			p.Starts = t
		} else {
			p.Ends = t
		}
	}
	if p.WindowRange.Filename == "" {
		p.WindowRange = p.Range
	}
	if ok && !p.Starts.IsZero() && !p.Ends.IsZero() && !p.Ends.After(p.Starts) {
		rng := p.WindowRange
		if a := c.Attributes["ends"]; a != nil {
			rng = a.Expr.Range()
		}
		l.errAt(rng, "Promotion ends before it starts", fmt.Sprintf("%s ends at %s, which is not after its start %s. ends is exclusive: the promotion runs from starts up to, not including, ends.",
			where, p.Ends.Format(time.RFC3339), p.Starts.Format(time.RFC3339)))
		ok = false
	}
	return ok
}

// pendingPromotion is a decoded promotion whose coverage is not yet known.
type pendingPromotion struct {
	p     *Promotion
	skus  *SKUSet
	where *hcl.Attribute
	// failed counts the products its where could not be evaluated for.
	failed int
	first  hcl.Diagnostics
}

// decodeDiscount reads discount or price and the campaign's bounds.
func (l *loader) decodeDiscount(p *Promotion, c *hcl.BodyContent, where string) bool {
	ok := true
	disc, price := c.Attributes["discount"], c.Attributes["price"]
	switch {
	case disc != nil && price != nil:
		l.errAt(price.NameRange, "Both discount and price", fmt.Sprintf("%s sets both discount and price; a promotion either takes a discount off or sets a fixed sale price.", where))
		return false
	case disc == nil && price == nil:
		l.errAt(p.Range, "No discount", fmt.Sprintf("%s sets neither discount (\"20%%\" or \"5.00\" off) nor price (a fixed sale price).", where))
		return false
	case disc != nil:
		p.DiscountRange = disc.Expr.Range()
		v, good := l.value(disc)
		if !good {
			return false
		}
		s := ""
		if v.Type() == cty.Number {
			s = bigFloatDecimal(v.AsBigFloat()).String()
		} else if sv, err := convert.Convert(v, cty.String); err == nil {
			s = sv.AsString()
		} else {
			l.typeError(disc, "a percentage such as \"20%\" or an amount off such as \"5.00\"")
			return false
		}
		d, err := money.ParseDiscount(s)
		if err != nil {
			l.errAt(disc.Expr.Range(), "Invalid discount", capitalize(err.Error())+".")
			return false
		}
		p.Discount = d
	default:
		p.DiscountRange = price.Expr.Range()
		v, good := l.number(price)
		if !good {
			return false
		}
		if !v.IsPositive() {
			l.errAt(price.Expr.Range(), "Invalid price", fmt.Sprintf("A promotion's fixed price must be greater than zero; it is %s.", v))
			return false
		}
		p.Discount = money.Discount{Kind: money.FixedPrice, Value: v}
	}
	if a := c.Attributes["min_discount"]; a != nil {
		p.MinDiscountRange = a.Expr.Range()
		if v, good := l.percent(a, one, false); good {
			p.MinDiscount = decimal.NullDecimal{Decimal: v, Valid: true}
		} else {
			ok = false
		}
	}
	if a := c.Attributes["max_discount"]; a != nil {
		p.MaxDiscountRange = a.Expr.Range()
		if v, good := l.percent(a, one, false); good {
			p.MaxDiscount = decimal.NullDecimal{Decimal: v, Valid: true}
		} else {
			ok = false
		}
	}
	if !ok {
		return false
	}
	if p.MinDiscount.Valid && p.MaxDiscount.Valid && p.MinDiscount.Decimal.GreaterThan(p.MaxDiscount.Decimal) {
		l.errAt(p.MinDiscountRange, "Campaign bounds cross", fmt.Sprintf("%s has min_discount %s above max_discount %s: no price can meet both.", where, money.FormatPercent(p.MinDiscount.Decimal), money.FormatPercent(p.MaxDiscount.Decimal)))
		return false
	}
	if p.Discount.Kind == money.PercentOff && p.MinDiscount.Valid && p.Discount.Value.LessThan(p.MinDiscount.Decimal) {
		l.errAt(p.DiscountRange, "Discount under the campaign floor", fmt.Sprintf("%s takes %s off, less than its min_discount of %s agreed with the partner.", where, money.FormatPercent(p.Discount.Value), money.FormatPercent(p.MinDiscount.Decimal)))
		return false
	}
	return true
}

// coverage evaluates every promotion's skus and where into the set of
// products it covers, in one pass over the catalog: each product's value is
// built once for all the where expressions. A where that fails for some
// products is reported once, with the count, not once per product. It
// returns the promotions whose coverage is known.
func (l *loader) coverage(pending []pendingPromotion) []pendingPromotion {
	n := len(l.spec.Products)
	var exprs []hcl.Expression
	for i := range pending {
		pp := &pending[i]
		pp.p.Covers = make([]bool, n)
		if pp.where != nil {
			exprs = append(exprs, pp.where.Expr)
			l.needProducts(pp.where.Expr)
		}
	}
	proj := NewProjection(exprs...)
	compiled := make([]BoolFunc, len(pending))
	for k, pp := range pending {
		if pp.where != nil {
			compiled[k] = CompileBool(pp.where.Expr, l.ctx)
		}
	}
	// Products are independent: split them across the cores, each worker
	// with its own context and its own failure counts.
	workers := min(runtime.GOMAXPROCS(0), n/1024+1)
	type tally struct {
		failed []int
		first  []hcl.Diagnostics
	}
	tallies := make([]tally, workers)
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		t := &tallies[w]
		t.failed, t.first = make([]int, len(pending)), make([]hcl.Diagnostics, len(pending))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := l.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{}
			for i := lo; i < hi; i++ {
				prod := l.spec.Products[i]
				built := false
				for k := range pending {
					pp := &pending[k]
					if !pp.skus.Contains(i) {
						continue
					}
					if pp.where == nil {
						pp.p.Covers[i] = true
						continue
					}
					if f := compiled[k]; f != nil {
						if v, ok := f(prod); ok {
							pp.p.Covers[i] = v
							continue
						}
					}
					if !built && !proj.Empty() {
						ctx.Variables["product"] = proj.Value(prod)
						built = true
					}
					covered, diags := whereValue(pp.where, ctx, prod.SKU)
					if diags.HasErrors() {
						t.failed[k]++
						if t.first[k] == nil {
							t.first[k] = diags
						}
						continue
					}
					pp.p.Covers[i] = covered
				}
			}
		}()
	}
	wg.Wait()
	for k := range pending {
		for _, t := range tallies {
			pending[k].failed += t.failed[k]
			if pending[k].first == nil {
				pending[k].first = t.first[k]
			}
		}
	}
	var ok []pendingPromotion
	for _, pp := range pending {
		if pp.failed > 0 {
			for _, d := range pp.first {
				if pp.failed > 1 {
					d.Detail = fmt.Sprintf("%s The same happens for %d more products.", d.Detail, pp.failed-1)
				}
			}
			l.diags = append(l.diags, pp.first...)
			continue
		}
		for _, c := range pp.p.Covers {
			if c {
				pp.p.CoverCount++
			}
		}
		ok = append(ok, pp)
	}
	return ok
}

// whereValue evaluates a promotion's where for one product.
func whereValue(where *hcl.Attribute, ctx *hcl.EvalContext, sku string) (bool, hcl.Diagnostics) {
	v, diags := where.Expr.Value(ctx)
	if diags.HasErrors() {
		for _, d := range diags {
			d.Detail = fmt.Sprintf("%s (evaluating where for SKU %s)", d.Detail, sku)
		}
		return false, diags
	}
	bv, err := convert.Convert(v, cty.Bool)
	switch {
	case err != nil:
		return false, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect value type", Detail: fmt.Sprintf("where must be true or false; for SKU %s it is %s.", sku, v.Type().FriendlyName()), Subject: where.Expr.Range().Ptr()}}
	case bv.IsNull():
		return false, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Missing value", Detail: fmt.Sprintf("where is null for SKU %s; it must be true or false.", sku), Subject: where.Expr.Range().Ptr()}}
	}
	return bv.True(), nil
}
