package spec

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/accordhq/accord/spec/money"
)

func (l *loader) errAt(rng hcl.Range, summary, detail string) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
}

func (l *loader) warnAt(rng hcl.Range, summary, detail string) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: rng.Ptr()})
}

// content decodes a body against its schema; unknown arguments and blocks
// come back from HCL as errors with a "did you mean".
func (l *loader) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	l.diags = append(l.diags, diags...)
	return c
}

// value evaluates an attribute in the loader's context. It returns false,
// having reported why, when the value cannot be used. A value that depends
// on a local that already failed is dropped without a second report.
func (l *loader) value(attr *hcl.Attribute) (cty.Value, bool) {
	l.needProducts(attr.Expr)
	v, diags := attr.Expr.Value(l.ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		l.errAt(attr.Expr.Range(), "Missing value", fmt.Sprintf("%s is null; give it a value or leave it out.", attr.Name))
		return cty.NilVal, false
	}
	return v, true
}

func (l *loader) typeError(attr *hcl.Attribute, want string) {
	l.errAt(attr.Expr.Range(), "Incorrect value type", fmt.Sprintf("%s must be %s.", attr.Name, want))
}

func (l *loader) str(attr *hcl.Attribute) (string, bool) {
	v, ok := l.value(attr)
	if !ok {
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		l.typeError(attr, "a string")
		return "", false
	}
	return s.AsString(), true
}

// name reads a string that must be one of names (channels, say).
func (l *loader) strList(attr *hcl.Attribute) ([]string, bool) {
	v, ok := l.value(attr)
	if !ok {
		return nil, false
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		l.typeError(attr, "a list of strings")
		return nil, false
	}
	out := make([]string, 0, lv.LengthInt())
	for it := lv.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			l.errAt(attr.Expr.Range(), "Missing value", fmt.Sprintf("%s holds a null element.", attr.Name))
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

// number reads a number, written as a number or as a numeric string.
func (l *loader) number(attr *hcl.Attribute) (decimal.Decimal, bool) {
	v, ok := l.value(attr)
	if !ok {
		return decimal.Decimal{}, false
	}
	if v.Type() == cty.String {
		s := strings.TrimSpace(v.AsString())
		d, err := decimal.NewFromString(s)
		if err != nil || strings.ContainsAny(s, "eE") {
			l.errAt(attr.Expr.Range(), "Not a number", fmt.Sprintf("%s must be a number; %q is not one.", attr.Name, v.AsString()))
			return decimal.Decimal{}, false
		}
		return d, true
	}
	if v.Type() != cty.Number {
		l.typeError(attr, "a number")
		return decimal.Decimal{}, false
	}
	return bigFloatDecimal(v.AsBigFloat()), true
}

// bigFloatDecimal converts an HCL number to a decimal by its shortest
// decimal text, so that 39.99 stays 39.99.
func bigFloatDecimal(f *big.Float) decimal.Decimal {
	return decimal.RequireFromString(f.Text('f', -1))
}

func (l *loader) integer(attr *hcl.Attribute) (int64, bool) {
	v, ok := l.value(attr)
	if !ok {
		return 0, false
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		l.typeError(attr, "a whole number")
		return 0, false
	}
	f := nv.AsBigFloat()
	i, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact {
		l.errAt(attr.Expr.Range(), "Not a whole number", fmt.Sprintf("%s must be a whole number; %s is not.", attr.Name, f.Text('f', -1)))
		return 0, false
	}
	return i, true
}

func (l *loader) nonNegative(attr *hcl.Attribute) (int64, bool) {
	i, ok := l.integer(attr)
	if ok && i < 0 {
		l.errAt(attr.Expr.Range(), "Negative quantity", fmt.Sprintf("%s must be zero or more; it is %d.", attr.Name, i))
		return 0, false
	}
	return i, ok
}

func (l *loader) boolean(attr *hcl.Attribute) (bool, bool) {
	v, ok := l.value(attr)
	if !ok {
		return false, false
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		l.typeError(attr, "true or false")
		return false, false
	}
	return bv.True(), true
}

// percent reads an unsigned percentage ("8%") as a fraction below limit
// (exclusive) when limitExclusive, else at most limit.
func (l *loader) percent(attr *hcl.Attribute, limit decimal.Decimal, limitExclusive bool) (decimal.Decimal, bool) {
	s, ok := l.str(attr)
	if !ok {
		return decimal.Decimal{}, false
	}
	p, err := money.ParsePercent(s)
	if err != nil {
		l.errAt(attr.Expr.Range(), "Invalid percentage", capitalize(err.Error())+".")
		return decimal.Decimal{}, false
	}
	if (limitExclusive && !p.LessThan(limit)) || p.GreaterThan(limit) {
		bound := "at most"
		if limitExclusive {
			bound = "below"
		}
		l.errAt(attr.Expr.Range(), "Percentage out of range", fmt.Sprintf("%s must be %s %s; it is %s.", attr.Name, bound, money.FormatPercent(limit), s))
		return decimal.Decimal{}, false
	}
	return p, true
}

// oneOf reads a string that must be one of the allowed words.
func (l *loader) oneOf(attr *hcl.Attribute, allowed ...string) (string, bool) {
	s, ok := l.str(attr)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	l.errAt(attr.Expr.Range(), "Invalid value", fmt.Sprintf("%s must be one of %s; %q is not.%s", attr.Name, quoteList(allowed), s, didYouMean(s, allowed)))
	return "", false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// decodeVariables resolves every variable block: --var over
// ACCORD_VAR_NAME over the default.
func (l *loader) decodeVariables(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "default"}, {Name: "description"}, {Name: "type"},
	}}
	vals := map[string]cty.Value{}
	seen := map[string]*hcl.Block{}
	l.spec.Variables = map[string]Variable{}
	fnCtx := &hcl.EvalContext{}
	l.baseContext(nil)
	fnCtx.Functions = l.ctx.Functions
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			l.errAt(b.LabelRanges[0], "Invalid variable name", fmt.Sprintf("%q cannot be used as var.%s: use letters, digits, _ and -, starting with a letter.", name, name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.DefRange, "Duplicate variable", fmt.Sprintf("Variable %q is already declared at %s.", name, rangeLine(prev.DefRange)))
			continue
		}
		seen[name] = b
		c := l.content(b.Body, schema)
		ty := cty.DynamicPseudoType
		if a := c.Attributes["type"]; a != nil {
			t, diags := typeexpr.TypeConstraint(a.Expr)
			l.diags = append(l.diags, diags...)
			if diags.HasErrors() {
				vals[name] = cty.DynamicVal
				continue
			}
			ty = t
		}
		var def cty.Value
		if a := c.Attributes["default"]; a != nil {
			v, diags := a.Expr.Value(fnCtx)
			l.diags = append(l.diags, diags...)
			if diags.HasErrors() {
				vals[name] = cty.DynamicVal
				continue
			}
			cv, err := convert.Convert(v, ty)
			if err != nil {
				l.errAt(a.Expr.Range(), "Invalid default value", fmt.Sprintf("The default of %q does not match its type: %s.", name, err))
				vals[name] = cty.DynamicVal
				continue
			}
			def = cv
		}
		v := Variable{Name: name, Range: b.DefRange, Source: "default"}
		raw, src := l.opts.Vars[name], "--var"
		given := false
		if _, ok := l.opts.Vars[name]; ok {
			given = true
		} else if ev, ok := l.opts.LookupEnv("ACCORD_VAR_" + name); ok {
			raw, src, given = ev, "ACCORD_VAR_"+name, true
		}
		switch {
		case given:
			val, ok := l.parseVarValue(name, src, raw, ty, def)
			if !ok {
				// Unknown, so references to it fail quietly instead of
				// adding "no attribute" errors to the one just reported.
				vals[name] = cty.DynamicVal
				continue
			}
			vals[name], v.Source = val, src
		case def != cty.NilVal:
			vals[name] = def
		default:
			l.errAt(b.DefRange, "No value for required variable", fmt.Sprintf("Variable %q has no default; give it one, or pass --var %s=VALUE or set ACCORD_VAR_%s.", name, name, name))
			vals[name] = cty.DynamicVal
			continue
		}
		l.spec.Variables[name] = v
	}
	for name := range l.opts.Vars {
		if _, ok := seen[name]; !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undeclared variable",
				Detail:   fmt.Sprintf("--var gives a value for %q, but the spec declares no variable %q.%s", name, name, didYouMean(name, sortedKeys(seen))),
			})
		}
	}
	l.baseContext(vals)
}

// parseVarValue reads a value given on the command line or in the
// environment: literally for strings, as an HCL expression otherwise.
func (l *loader) parseVarValue(name, src, raw string, ty cty.Type, def cty.Value) (cty.Value, bool) {
	wantString := ty == cty.String || (ty == cty.DynamicPseudoType && (def == cty.NilVal || def.Type() == cty.String))
	if wantString {
		return cty.StringVal(raw), true
	}
	want := ty
	if want == cty.DynamicPseudoType && def != cty.NilVal {
		want = def.Type()
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), src, hcl.InitialPos)
	if !diags.HasErrors() {
		var v cty.Value
		v, diags = expr.Value(nil)
		if !diags.HasErrors() {
			if cv, err := convert.Convert(v, want); err == nil {
				return cv, true
			}
		}
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid variable value",
		Detail:   fmt.Sprintf("The value %q given by %s for variable %q is not a valid %s.", raw, src, name, want.FriendlyName()),
	})
	return cty.NilVal, false
}

// decodeLocals evaluates every local in dependency order.
func (l *loader) decodeLocals(blocks []*hcl.Block) {
	attrs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		as, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for name, a := range as {
			if prev, dup := attrs[name]; dup {
				l.errAt(a.NameRange, "Duplicate local value", fmt.Sprintf("local.%s is already defined at %s.", name, rangeLine(prev.Range)))
				continue
			}
			attrs[name] = a
		}
	}
	done := map[string]cty.Value{}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string)
	visit = func(name string, path []string) {
		switch state[name] {
		case 2:
			return
		case 1:
			a := attrs[name]
			l.errAt(a.NameRange, "Self-referencing local values", fmt.Sprintf("The locals refer to one another in a cycle: %s.", strings.Join(append(path, name), " -> ")))
			done[name] = cty.DynamicVal
			state[name] = 2
			return
		}
		state[name] = 1
		a := attrs[name]
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue
			}
			if step, ok := tr[1].(hcl.TraverseAttr); ok {
				if _, exists := attrs[step.Name]; exists {
					visit(step.Name, append(path, name))
				}
			}
		}
		if state[name] == 2 { // a cycle through this local was reported
			return
		}
		l.ctx.Variables["local"] = cty.ObjectVal(done)
		l.needProducts(a.Expr)
		v, diags := a.Expr.Value(l.ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			v = cty.DynamicVal
		}
		done[name] = v
		state[name] = 2
	}
	for _, name := range sortedKeys(attrs) {
		visit(name, nil)
	}
	l.ctx.Variables["local"] = cty.ObjectVal(done)
}

// needProducts puts `products` in the context the first time an expression
// refers to it: building it for a 100k-row catalog costs time and memory
// that a spec which never reads it should not pay.
func (l *loader) needProducts(expr hcl.Expression) {
	if l.productsBuilt {
		return
	}
	for _, tr := range expr.Variables() {
		if tr.RootName() == "products" {
			vals := make([]cty.Value, len(l.spec.Products))
			for i, p := range l.spec.Products {
				vals[i] = ProductValue(p)
			}
			if len(vals) == 0 {
				l.ctx.Variables["products"] = cty.ListValEmpty(ProductType)
			} else {
				l.ctx.Variables["products"] = cty.ListVal(vals)
			}
			l.productsBuilt = true
			return
		}
	}
}

// ProductType is the type of `product` in per-product expressions and of the
// elements of `products`.
var ProductType = cty.Object(map[string]cty.Type{
	"sku":         cty.String,
	"price":       cty.Number,
	"cost":        cty.Number,
	"map":         cty.Number,
	"msrp":        cty.Number,
	"title":       cty.String,
	"brand":       cty.String,
	"category":    cty.String,
	"description": cty.String,
	"gtin":        cty.String,
	"parent":      cty.String,
	"attributes":  cty.Map(cty.String),
})

// productAttrNames are the attribute names of ProductType, sorted.
var productAttrNames = []string{"attributes", "brand", "category", "cost", "description", "gtin", "map", "msrp", "parent", "price", "sku", "title"}

// ProductValue is the product as spec expressions see it.
func ProductValue(p *Product) cty.Value {
	m := make(map[string]cty.Value, len(productAttrNames))
	for _, a := range productAttrNames {
		m[a] = productAttr(p, a)
	}
	return cty.ObjectVal(m)
}

// ChannelValue is the channel as spec expressions see it.
func ChannelValue(c *Channel) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal(c.Name),
		"type":     cty.StringVal(c.Type),
		"currency": cty.StringVal(c.Currency),
	})
}

func decimalValue(d decimal.Decimal) cty.Value {
	v, err := cty.ParseNumberVal(d.String())
	if err != nil {
		panic(fmt.Sprintf("spec: decimal %s is not a number: %v", d, err))
	}
	return v
}

func nullDecimalValue(d decimal.NullDecimal) cty.Value {
	if !d.Valid {
		return cty.NullVal(cty.Number)
	}
	return decimalValue(d.Decimal)
}
