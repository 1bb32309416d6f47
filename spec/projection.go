package spec

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Projection builds `product` values that hold only the attributes a set of
// expressions reads. On a 100k-row catalog the full object costs more than
// the expressions themselves: a title template reads two strings, not five
// prices converted to HCL numbers.
type Projection struct {
	all   bool
	attrs []string
	none  bool
}

// NewProjection returns the projection of the attributes the expressions
// read through `product`. An expression that uses `product` as a whole (a
// for expression over it, an index by a computed key) gets the full object.
func NewProjection(exprs ...hcl.Expression) *Projection {
	set := map[string]bool{}
	pr := &Projection{}
	uses := false
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, tr := range e.Variables() {
			if tr.RootName() != "product" {
				continue
			}
			uses = true
			if len(tr) < 2 {
				pr.all = true
				continue
			}
			step, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				pr.all = true
				continue
			}
			set[step.Name] = true
		}
	}
	pr.none = !uses
	for a := range set {
		pr.attrs = append(pr.attrs, a)
	}
	sort.Strings(pr.attrs)
	return pr
}

// Empty reports that no expression reads `product`.
func (pr *Projection) Empty() bool { return pr.none }

// Value returns the product as the expressions see it.
func (pr *Projection) Value(p *Product) cty.Value {
	if pr.all {
		return ProductValue(p)
	}
	m := make(map[string]cty.Value, len(pr.attrs))
	for _, a := range pr.attrs {
		m[a] = productAttr(p, a)
	}
	return cty.ObjectVal(m)
}

// productAttr is one attribute of ProductValue.
func productAttr(p *Product, name string) cty.Value {
	switch name {
	case "sku":
		return cty.StringVal(p.SKU)
	case "price":
		return decimalValue(p.Price)
	case "cost":
		return nullDecimalValue(p.Cost)
	case "map":
		return nullDecimalValue(p.MAP)
	case "msrp":
		return nullDecimalValue(p.MSRP)
	case "title":
		return cty.StringVal(p.Title)
	case "brand":
		return cty.StringVal(p.Brand)
	case "category":
		return cty.StringVal(p.Category)
	case "description":
		return cty.StringVal(p.Description)
	case "gtin":
		return cty.StringVal(p.GTIN)
	case "parent":
		return cty.StringVal(p.Parent)
	case "attributes":
		if len(p.Attributes) == 0 {
			return cty.MapValEmpty(cty.String)
		}
		m := make(map[string]cty.Value, len(p.Attributes))
		for k, v := range p.Attributes {
			m[k] = cty.StringVal(v)
		}
		return cty.MapVal(m)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}
