package spec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/text/unicode/norm"
)

// Compiled per-product expressions.
//
// A promotion's where and a listing field are evaluated once per product
// (and field per channel): 100k products make HCL's generic evaluation (an
// object value per product, operators as function calls with type
// conversion) the largest cost of a run. CompileString and CompileBool turn
// the shapes that nearly every spec uses into Go closures over *Product:
//
//	literals; product.title and the other string attributes;
//	product.attributes.color and product.attributes["color"];
//	string templates of those; ==, != on strings; &&, ||, !; parentheses;
//	a one-argument function of a string, such as lower(product.brand).
//
// The closures compute exactly what HCL computes, strings normalised to NFC
// as cty.StringVal does. Anything else compiles to nil, and the caller
// evaluates with HCL. A closure returns ok=false where HCL would report an
// error (a missing attribute key, a failing function), so that the caller
// falls back to HCL for that product and shows HCL's own diagnostic.

// StringFunc evaluates a compiled string expression for a product.
type StringFunc func(p *Product) (value string, ok bool)

// BoolFunc evaluates a compiled boolean expression for a product.
type BoolFunc func(p *Product) (value bool, ok bool)

// productStrings are the product attributes of type string.
var productStrings = map[string]func(*Product) string{
	"sku":         func(p *Product) string { return p.SKU },
	"title":       func(p *Product) string { return p.Title },
	"brand":       func(p *Product) string { return p.Brand },
	"category":    func(p *Product) string { return p.Category },
	"description": func(p *Product) string { return p.Description },
	"gtin":        func(p *Product) string { return p.GTIN },
	"parent":      func(p *Product) string { return p.Parent },
}

// CompileString compiles a string-valued expression, or returns nil. ctx is
// the context the expression would be evaluated in, without product: its
// functions, and var and local, which are constants for the whole run.
func CompileString(expr hcl.Expression, ctx *hcl.EvalContext) StringFunc {
	raw := compileRaw(expr, ctx)
	if raw == nil {
		return nil
	}
	return func(p *Product) (string, bool) {
		s, ok := raw(p)
		if !ok {
			return "", false
		}
		return norm.NFC.String(s), true
	}
}

// compileRaw compiles a string expression whose result is not yet
// normalised; normalising once at the end is what cty does for a template.
func compileRaw(expr hcl.Expression, ctx *hcl.EvalContext) StringFunc {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		if e.Val.Type() != cty.String || e.Val.IsNull() || !e.Val.IsKnown() {
			return nil
		}
		v := e.Val.AsString()
		return func(*Product) (string, bool) { return v, true }
	case *hclsyntax.ParenthesesExpr:
		return compileRaw(e.Expression, ctx)
	case *hclsyntax.TemplateWrapExpr:
		return compileRaw(e.Wrapped, ctx)
	case *hclsyntax.ScopeTraversalExpr:
		if e.Traversal.RootName() == "product" {
			return compileTraversal(e.Traversal)
		}
		return compileConstant(e.Traversal, ctx)
	case *hclsyntax.TemplateExpr:
		parts := make([]StringFunc, len(e.Parts))
		for i, part := range e.Parts {
			if parts[i] = compileRaw(part, ctx); parts[i] == nil {
				return nil
			}
		}
		return func(p *Product) (string, bool) {
			n := 0
			vals := make([]string, len(parts))
			for i, f := range parts {
				v, ok := f(p)
				if !ok {
					return "", false
				}
				vals[i] = v
				n += len(v)
			}
			b := make([]byte, 0, n)
			for _, v := range vals {
				b = append(b, v...)
			}
			return string(b), true
		}
	case *hclsyntax.FunctionCallExpr:
		if ctx == nil {
			return nil
		}
		fn, ok := ctx.Functions[e.Name]
		if !ok || len(e.Args) != 1 || e.ExpandFinal {
			return nil
		}
		params := fn.Params()
		if len(params) != 1 || params[0].Type != cty.String || fn.VarParam() != nil {
			return nil
		}
		if rt, err := fn.ReturnType([]cty.Type{cty.String}); err != nil || rt != cty.String {
			return nil
		}
		arg := CompileString(e.Args[0], ctx)
		if arg == nil {
			return nil
		}
		return func(p *Product) (string, bool) {
			a, ok := arg(p)
			if !ok {
				return "", false
			}
			v, err := fn.Call([]cty.Value{cty.StringVal(a)})
			if err != nil || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
				return "", false
			}
			return v.AsString(), true
		}
	}
	return nil
}

// compileConstant compiles a string traversal of var or local, which do not
// change during a run.
func compileConstant(tr hcl.Traversal, ctx *hcl.EvalContext) StringFunc {
	if ctx == nil || (tr.RootName() != "var" && tr.RootName() != "local") {
		return nil
	}
	v, diags := tr.TraverseAbs(ctx)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() || v.Type() != cty.String {
		return nil
	}
	s := v.AsString()
	return func(*Product) (string, bool) { return s, true }
}

// compileTraversal compiles product.<string attribute> and
// product.attributes.<key>.
func compileTraversal(tr hcl.Traversal) StringFunc {
	if tr.RootName() != "product" || len(tr) < 2 {
		return nil
	}
	step, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return nil
	}
	if get, isString := productStrings[step.Name]; isString && len(tr) == 2 {
		return func(p *Product) (string, bool) { return get(p), true }
	}
	if step.Name != "attributes" || len(tr) != 3 {
		return nil
	}
	var key string
	switch k := tr[2].(type) {
	case hcl.TraverseAttr:
		key = k.Name
	case hcl.TraverseIndex:
		if k.Key.Type() != cty.String || k.Key.IsNull() || !k.Key.IsKnown() {
			return nil
		}
		key = k.Key.AsString()
	default:
		return nil
	}
	key = norm.NFC.String(key)
	return func(p *Product) (string, bool) {
		v, ok := p.Attributes[key]
		return v, ok
	}
}

// CompileBool compiles a boolean expression, or returns nil. ctx is as for
// CompileString.
func CompileBool(expr hcl.Expression, ctx *hcl.EvalContext) BoolFunc {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		if e.Val.Type() != cty.Bool || e.Val.IsNull() || !e.Val.IsKnown() {
			return nil
		}
		v := e.Val.True()
		return func(*Product) (bool, bool) { return v, true }
	case *hclsyntax.ParenthesesExpr:
		return CompileBool(e.Expression, ctx)
	case *hclsyntax.UnaryOpExpr:
		if e.Op != hclsyntax.OpLogicalNot {
			return nil
		}
		inner := CompileBool(e.Val, ctx)
		if inner == nil {
			return nil
		}
		return func(p *Product) (bool, bool) {
			v, ok := inner(p)
			return !v, ok
		}
	case *hclsyntax.BinaryOpExpr:
		switch e.Op {
		case hclsyntax.OpEqual, hclsyntax.OpNotEqual:
			l, r := CompileString(e.LHS, ctx), CompileString(e.RHS, ctx)
			if l == nil || r == nil {
				return nil
			}
			want := e.Op == hclsyntax.OpEqual
			return func(p *Product) (bool, bool) {
				a, ok1 := l(p)
				b, ok2 := r(p)
				return (a == b) == want, ok1 && ok2
			}
		case hclsyntax.OpLogicalAnd, hclsyntax.OpLogicalOr:
			// HCL evaluates both sides (no short circuit), so a failure on
			// either side is a failure of the whole.
			l, r := CompileBool(e.LHS, ctx), CompileBool(e.RHS, ctx)
			if l == nil || r == nil {
				return nil
			}
			and := e.Op == hclsyntax.OpLogicalAnd
			return func(p *Product) (bool, bool) {
				a, ok1 := l(p)
				b, ok2 := r(p)
				if and {
					return a && b, ok1 && ok2
				}
				return a || b, ok1 && ok2
			}
		}
	}
	return nil
}
