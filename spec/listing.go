package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
)

// listingReserved are the listing block's own settings; every other
// attribute is a listing field.
var listingReserved = map[string]bool{"max_length": true, "truncate": true, "shared": true, "push_order": true}

// listingRoots are the names a listing field expression may start with.
var listingRoots = []string{"channel", "local", "product", "products", "var"}

func (l *loader) decodeListing(b *hcl.Block) {
	if b == nil {
		return
	}
	body, ok := b.Body.(*hclsyntax.Body)
	if !ok {
		l.errAt(b.DefRange, "Unsupported listing syntax", "The listing block must be written in HCL native syntax.")
		return
	}
	ls := &Listing{Range: b.DefRange, PerChannel: map[string]*ListingChannel{}}
	var maxLen *hclsyntax.Attribute
	for _, name := range sortedKeys(body.Attributes) {
		a := body.Attributes[name]
		switch name {
		case "max_length":
			maxLen = a
		case "truncate":
			ls.TruncateRange = a.Expr.Range()
			if v, good := l.boolean(a.AsHCLAttribute()); good {
				ls.Truncate = v
			}
		case "shared":
			ls.SharedRange = a.Expr.Range()
			if v, good := l.strList(a.AsHCLAttribute()); good {
				ls.Shared = v
			}
		case "push_order":
			ls.PushOrder, _ = l.channelList(a.AsHCLAttribute(), "push_order")
		default:
			if rule, good := l.fieldRule(a); good {
				ls.Fields = append(ls.Fields, rule)
			}
		}
	}
	for _, blk := range body.Blocks {
		if blk.Type != "channel" {
			l.errAt(blk.TypeRange, "Unsupported block type", fmt.Sprintf("Blocks of type %q are not expected in listing; only channel blocks are.%s", blk.Type, didYouMean(blk.Type, []string{"channel"})))
			continue
		}
		if len(blk.Labels) != 1 {
			l.errAt(blk.TypeRange, "Missing channel name", "A listing's channel block names one channel: channel \"amazon_us\" { ... }.")
			continue
		}
		l.decodeListingChannel(ls, blk)
	}
	// Every field written counts as declared, even one whose expression
	// failed, so that its mistake is not reported again at max_length.
	declared := map[string]bool{}
	for name := range body.Attributes {
		if !listingReserved[name] {
			declared[name] = true
		}
	}
	for _, blk := range body.Blocks {
		if blk.Type == "channel" {
			for name := range blk.Body.Attributes {
				if !listingReserved[name] {
					declared[name] = true
				}
			}
		}
	}
	if maxLen != nil {
		ls.MaxLength = l.maxLength(maxLen, declared)
	}
	for name, lc := range ls.PerChannel {
		for _, a := range body.Blocks {
			if a.Type == "channel" && len(a.Labels) == 1 && a.Labels[0] == name {
				if ml, has := a.Body.Attributes["max_length"]; has {
					lc.MaxLength = l.maxLength(ml, declared)
				}
			}
		}
	}
	top := map[string]bool{}
	for name := range body.Attributes {
		if !listingReserved[name] {
			top[name] = true
		}
	}
	for _, s := range ls.Shared {
		if !top[s] {
			l.errAt(ls.SharedRange, "Shared field not declared", fmt.Sprintf("shared names %q, which is not a field of the listing block. Declare it, for example %s = product.%s.%s", s, s, s, didYouMean(s, sortedKeys(top))))
		}
	}
	l.spec.Listing = ls
}

func (l *loader) decodeListingChannel(ls *Listing, blk *hclsyntax.Block) {
	name := blk.Labels[0]
	rng := blk.LabelRanges[0]
	if !l.channelRef(name, rng, "The listing block") {
		return
	}
	if prev, dup := ls.PerChannel[name]; dup {
		l.errAt(rng, "Duplicate channel block", fmt.Sprintf("The listing already has a block for channel %q at %s.", name, rangeLine(prev.Range)))
		return
	}
	lc := &ListingChannel{Range: blk.DefRange()}
	for _, inner := range blk.Body.Blocks {
		l.errAt(inner.TypeRange, "Unsupported block type", fmt.Sprintf("A listing's channel block holds fields and max_length, truncate; not %q blocks.", inner.Type))
	}
	for _, fname := range sortedKeys(blk.Body.Attributes) {
		a := blk.Body.Attributes[fname]
		switch fname {
		case "max_length":
		case "truncate":
			if v, good := l.boolean(a.AsHCLAttribute()); good {
				lc.Truncate = &v
			}
		case "shared", "push_order":
			l.errAt(a.NameRange, "Unsupported argument", fmt.Sprintf("%s applies to the whole listing block, not to one channel.", fname))
		default:
			if rule, good := l.fieldRule(a); good {
				lc.Fields = append(lc.Fields, rule)
			}
		}
	}
	ls.PerChannel[name] = lc
}

// fieldRule checks a listing field's expression statically.
func (l *loader) fieldRule(a *hclsyntax.Attribute) (FieldRule, bool) {
	if adapters.Reserved(a.Name) {
		l.errAt(a.NameRange, "Reserved field name", fmt.Sprintf("A listing field cannot be named %q: %s are not listing fields (pools set quantities, price matrices set prices, channels report status). Name the field otherwise, such as %s_text.",
			a.Name, strings.Join(adapters.ReservedFields, ", "), a.Name))
		return FieldRule{}, false
	}
	rule := FieldRule{Name: a.Name, Expr: a.Expr}
	for _, tr := range a.Expr.Variables() {
		switch tr.RootName() {
		case "channel":
			rule.UsesChannel = true
		case "product":
			rule.UsesProduct = true
		}
	}
	return rule, l.checkProductRefs(a.Expr, true)
}

// checkProductRefs checks, before any product is evaluated, that an
// expression only names known roots and known product attributes, so that a
// typo is one diagnostic rather than one per product.
func (l *loader) checkProductRefs(expr hcl.Expression, allowChannel bool) bool {
	ok := true
	roots := []string{"local", "product", "products", "var"}
	if allowChannel {
		roots = listingRoots
	}
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		if !contains(roots, root) {
			l.errAt(tr.SourceRange(), "Unknown variable", fmt.Sprintf("There is no variable named %q here; the names in scope are %s.%s", root, quoteList(roots), didYouMean(root, roots)))
			ok = false
			continue
		}
		if len(tr) < 2 {
			continue
		}
		step, isAttr := tr[1].(hcl.TraverseAttr)
		if !isAttr {
			continue
		}
		switch root {
		case "product":
			if !contains(productAttrNames, step.Name) {
				l.errAt(tr.SourceRange(), "Unknown product attribute", fmt.Sprintf("product has no attribute %q; it has %s. Catalog columns of other names are in product.attributes.%s", step.Name, quoteList(productAttrNames), didYouMean(step.Name, productAttrNames)))
				ok = false
				continue
			}
			if step.Name == "attributes" && len(tr) > 2 && len(l.spec.ProductAttributes) > 0 {
				if key, isKey := tr[2].(hcl.TraverseAttr); isKey && !contains(l.spec.ProductAttributes, key.Name) {
					l.errAt(tr.SourceRange(), "Unknown product attribute", fmt.Sprintf("No catalog column is named %q; product.attributes holds %s.%s", key.Name, quoteList(l.spec.ProductAttributes), didYouMean(key.Name, l.spec.ProductAttributes)))
					ok = false
				}
			}
		case "channel":
			names := []string{"currency", "name", "type"}
			if !contains(names, step.Name) {
				l.errAt(tr.SourceRange(), "Unknown channel attribute", fmt.Sprintf("channel has no attribute %q; it has %s.%s", step.Name, quoteList(names), didYouMean(step.Name, names)))
				ok = false
			}
		}
	}
	return ok
}

// maxLength reads a max_length map, with the range of each entry.
func (l *loader) maxLength(a *hclsyntax.Attribute, declared map[string]bool) map[string]LengthLimit {
	out := map[string]LengthLimit{}
	ranges := map[string]hcl.Range{}
	if obj, isObj := a.Expr.(*hclsyntax.ObjectConsExpr); isObj {
		for _, item := range obj.Items {
			if k, diags := item.KeyExpr.Value(nil); !diags.HasErrors() && k.Type() == cty.String {
				ranges[k.AsString()] = hcl.RangeBetween(item.KeyExpr.Range(), item.ValueExpr.Range())
			}
		}
	}
	v, ok := l.value(a.AsHCLAttribute())
	if !ok {
		return out
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		l.typeError(a.AsHCLAttribute(), "a map of field names to lengths, such as { title = 150 }")
		return out
	}
	keys := make([]string, 0)
	vals := v.AsValueMap()
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rng, has := ranges[k]
		if !has {
			rng = a.Expr.Range()
		}
		ev := vals[k]
		if ev.IsNull() || ev.Type() != cty.Number || !ev.AsBigFloat().IsInt() || ev.AsBigFloat().Sign() <= 0 {
			l.errAt(rng, "Invalid length", fmt.Sprintf("max_length of %q must be a whole number of characters above zero.", k))
			continue
		}
		if !declared[k] {
			l.errAt(rng, "Unknown field", fmt.Sprintf("max_length limits %q, which is not a listing field.%s", k, didYouMean(k, sortedKeys(declared))))
			continue
		}
		n, _ := ev.AsBigFloat().Int64()
		out[k] = LengthLimit{Chars: int(n), Range: rng}
	}
	return out
}
