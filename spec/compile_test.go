package spec_test

import (
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

// evalContext is the context a spec's per-product expressions run in.
func evalContext(t testing.TB) *hcl.EvalContext {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{
		"main.hcl": {Data: []byte(`
variable "brand" {
  default = "Acme"
}
locals {
  suffix = "- new"
}
`)},
	}, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s.Eval
}

// hclValue evaluates an expression the slow way, with the full product.
func hclValue(ctx *hcl.EvalContext, expr hcl.Expression, p *spec.Product) (cty.Value, bool) {
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{"product": spec.ProductValue(p)}
	v, diags := expr.Value(child)
	return v, !diags.HasErrors()
}

var compileProducts = []*spec.Product{
	{SKU: "HP-01", Price: decimal.RequireFromString("39.99"), Title: "Wireless Headphones", Brand: "Acme", Category: "audio", Attributes: map[string]string{"color": "black"}},
	{SKU: "HP-02", Price: decimal.RequireFromString("9"), Title: "Cafe\u0301 Headphones", Brand: "Acme", Category: "audio", Attributes: map[string]string{}},
	{SKU: "SP-01", Price: decimal.RequireFromString("89.99"), Title: "", Brand: "Boomco", Category: "speakers", Attributes: map[string]string{"color": "réd"}},
}

var stringExprs = []string{
	`"${product.brand} ${product.title}"`,
	`"${product.brand} ${product.title} - ${product.attributes.color}"`,
	`"${product.brand} ${product.title} - ${title(product.attributes.color)}"`,
	`product.title`,
	`"${product.title}"`,
	`product.attributes["color"]`,
	`upper(product.sku)`,
	`"${var.brand}: ${product.title} ${local.suffix}"`,
	`"plain text"`,
	`(product.category)`,
	`trimspace(" ${product.brand} ")`,
}

var boolExprs = []string{
	`product.category == "audio"`,
	`product.category != "audio"`,
	`product.brand == "Acme" && product.category == "audio"`,
	`product.brand == "Boomco" || product.category == "audio"`,
	`!(product.category == "audio")`,
	`product.attributes.color == "black"`,
	`product.title == "Café Headphones"`,
	`product.brand == var.brand`,
	`true`,
	`lower(product.brand) == "acme"`,
}

// matchesHCL compiles each expression with compile and checks that, for
// every product, it gives what HCL gives (as read by value), or defers to
// HCL exactly where HCL fails.
func matchesHCL[T comparable](t *testing.T, ctx *hcl.EvalContext, srcs []string, compile func(hcl.Expression, *hcl.EvalContext) func(*spec.Product) (T, bool), value func(cty.Value) T) {
	t.Helper()
	for _, src := range srcs {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		f := compile(expr, ctx)
		if f == nil {
			t.Errorf("%s did not compile", src)
			continue
		}
		for _, p := range compileProducts {
			want, wantOK := hclValue(ctx, expr, p)
			got, ok := f(p)
			if ok != wantOK {
				t.Errorf("%s on %s: compiled ok=%v, HCL ok=%v", src, p.SKU, ok, wantOK)
				continue
			}
			if ok && got != value(want) {
				t.Errorf("%s on %s: compiled %v, HCL %v", src, p.SKU, got, value(want))
			}
		}
	}
}

func compileString(e hcl.Expression, ctx *hcl.EvalContext) func(*spec.Product) (string, bool) {
	if f := spec.CompileString(e, ctx); f != nil {
		return f
	}
	return nil
}

func compileBool(e hcl.Expression, ctx *hcl.EvalContext) func(*spec.Product) (bool, bool) {
	if f := spec.CompileBool(e, ctx); f != nil {
		return f
	}
	return nil
}

// TestCompiledMatchesHCL checks that every compiled expression gives what
// HCL gives for every product, including non-NFC text and a missing
// attribute key (where the compiled form must defer to HCL).
func TestCompiledMatchesHCL(t *testing.T) {
	ctx := evalContext(t)
	matchesHCL(t, ctx, stringExprs, compileString, cty.Value.AsString)
	matchesHCL(t, ctx, boolExprs, compileBool, cty.Value.True)
}

// TestNotCompiled lists shapes left to HCL.
func TestNotCompiled(t *testing.T) {
	ctx := evalContext(t)
	for _, src := range []string{
		`product.price > 50`,
		`"${product.price}"`,
		`product.category == 5`,
		`channel.name == "shop"`,
		`product.cost == null`,
		`[for k, v in product.attributes : v][0]`,
		`format("%s-%s", product.brand, product.sku)`,
	} {
		expr, _ := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
		if spec.CompileString(expr, ctx) != nil || spec.CompileBool(expr, ctx) != nil {
			t.Errorf("%s compiled; it should be left to HCL", src)
		}
	}
}

// FuzzCompiledMatchesHCL runs the expressions on arbitrary product text.
func FuzzCompiledMatchesHCL(f *testing.F) {
	f.Add("Acme", "Wireless", "audio", "black")
	f.Add("Cafe\u0301", "e\u0301", "", "\x00")
	f.Add("a\xffb", "${x}", "%{if}", "\"")
	f.Fuzz(func(t *testing.T, brand, title, category, color string) {
		ctx := evalContext(t)
		p := &spec.Product{SKU: "X-1", Price: decimal.NewFromInt(1), Brand: brand, Title: title, Category: category, Attributes: map[string]string{"color": color}}
		for _, src := range stringExprs {
			expr, _ := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
			want, wantOK := hclValue(ctx, expr, p)
			got, ok := spec.CompileString(expr, ctx)(p)
			if ok != wantOK || (ok && got != want.AsString()) {
				t.Fatalf("%s: compiled %q (%v), HCL %#v (%v)", src, got, ok, want, wantOK)
			}
		}
		for _, src := range boolExprs {
			expr, _ := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
			want, wantOK := hclValue(ctx, expr, p)
			got, ok := spec.CompileBool(expr, ctx)(p)
			if ok != wantOK || (ok && got != want.True()) {
				t.Fatalf("%s: compiled %v (%v), HCL %#v (%v)", src, got, ok, want, wantOK)
			}
		}
	})
}
