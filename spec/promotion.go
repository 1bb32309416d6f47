package spec

import (
	"fmt"
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
		{Name: "starts", Required: true}, {Name: "ends", Required: true}, {Name: "channels"}, {Name: "skus"},
		{Name: "where"}, {Name: "discount"}, {Name: "price"}, {Name: "priority"}, {Name: "partner"},
		{Name: "min_discount"}, {Name: "max_discount"},
	}}
	seen := map[string]*Promotion{}
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
		ok := c.Attributes["starts"] != nil && c.Attributes["ends"] != nil
		if a := c.Attributes["starts"]; a != nil {
			p.WindowRange = a.Range
			t, good := l.time(a)
			p.Starts, ok = t, ok && good
		}
		if a := c.Attributes["ends"]; a != nil {
			if p.WindowRange.Filename != "" {
				p.WindowRange = hcl.RangeOver(p.WindowRange, a.Range)
			}
			t, good := l.time(a)
			p.Ends, ok = t, ok && good
			if ok && !p.Ends.After(p.Starts) {
				l.errAt(a.Expr.Range(), "Promotion ends before it starts", fmt.Sprintf("%s ends at %s, which is not after its start %s. ends is exclusive: the promotion runs from starts up to, not including, ends.",
					where, p.Ends.Format(time.RFC3339), p.Starts.Format(time.RFC3339)))
				ok = false
			}
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
		if ok {
			covers, good := l.coverage(p, skus, c.Attributes["where"])
			if !good {
				ok = false
			}
			p.Covers = covers
			for _, v := range covers {
				if v {
					p.CoverCount++
				}
			}
		}
		if ok {
			l.spec.Promotions = append(l.spec.Promotions, p)
		}
	}
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

// coverage evaluates skus and where into the set of products the promotion
// covers. A where that fails for some products is reported once, with the
// count, rather than once per product.
func (l *loader) coverage(p *Promotion, skus *SKUSet, whereAttr *hcl.Attribute) ([]bool, bool) {
	n := len(l.spec.Products)
	covers := make([]bool, n)
	if whereAttr == nil {
		for i := range covers {
			covers[i] = skus.Contains(i)
		}
		return covers, true
	}
	if !l.checkProductRefs(whereAttr.Expr, false) {
		return nil, false
	}
	l.needProducts(whereAttr.Expr)
	ctx := l.ctx.NewChild()
	var first hcl.Diagnostics
	failed := 0
	for i, prod := range l.spec.Products {
		if !skus.Contains(i) {
			continue
		}
		ctx.Variables = map[string]cty.Value{"product": ProductValue(prod)}
		v, diags := whereAttr.Expr.Value(ctx)
		if !diags.HasErrors() {
			bv, err := convert.Convert(v, cty.Bool)
			switch {
			case err != nil:
				diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect value type", Detail: fmt.Sprintf("where must be true or false; for SKU %s it is %s.", prod.SKU, v.Type().FriendlyName()), Subject: whereAttr.Expr.Range().Ptr()}}
			case bv.IsNull():
				diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Missing value", Detail: fmt.Sprintf("where is null for SKU %s; it must be true or false.", prod.SKU), Subject: whereAttr.Expr.Range().Ptr()}}
			default:
				covers[i] = bv.True()
				continue
			}
		}
		failed++
		if first == nil {
			first = diags
			for _, d := range first {
				d.Detail = fmt.Sprintf("%s (evaluating where for SKU %s)", d.Detail, prod.SKU)
			}
		}
	}
	if failed > 0 {
		if failed > 1 {
			for _, d := range first {
				d.Detail = fmt.Sprintf("%s The same happens for %d more products.", d.Detail, failed-1)
			}
		}
		l.diags = append(l.diags, first...)
		return nil, false
	}
	return covers, true
}
