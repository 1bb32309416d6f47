package derive

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// fieldPlan is the listing block resolved per channel.
type fieldPlan struct {
	names []string // every field name, sorted
	// rules[c][n] is the rule for field names[n] on channel c, or nil.
	rules [][]*spec.FieldRule
	// top[n] is the top-level rule of names[n], or nil.
	top []*spec.FieldRule
	// limit[c][n] is the max_length, Chars 0 for none.
	limit    [][]spec.LengthLimit
	truncate []bool
	// product builds the `product` value the rules read.
	product *spec.Projection
	// compiled holds the rules that compile to Go; the others, and any
	// product a compiled rule cannot decide, are evaluated by HCL.
	compiled map[*spec.FieldRule]spec.StringFunc
	shared   []int // indexes into names
	listing  *spec.Listing
}

func planFields(s *spec.Spec) *fieldPlan {
	ls := s.Listing
	if ls == nil {
		return nil
	}
	names := map[string]bool{}
	for _, f := range ls.Fields {
		names[f.Name] = true
	}
	for _, lc := range ls.PerChannel {
		for _, f := range lc.Fields {
			names[f.Name] = true
		}
	}
	fp := &fieldPlan{listing: ls}
	for n := range names {
		fp.names = append(fp.names, n)
	}
	sort.Strings(fp.names)
	idx := map[string]int{}
	for i, n := range fp.names {
		idx[n] = i
	}
	fp.top = make([]*spec.FieldRule, len(fp.names))
	for i := range ls.Fields {
		f := &ls.Fields[i]
		fp.top[idx[f.Name]] = f
	}
	var exprs []hcl.Expression
	for _, f := range ls.Fields {
		exprs = append(exprs, f.Expr)
	}
	for _, lc := range ls.PerChannel {
		for _, f := range lc.Fields {
			exprs = append(exprs, f.Expr)
		}
	}
	fp.product = spec.NewProjection(exprs...)
	fp.compiled = map[*spec.FieldRule]spec.StringFunc{}
	compile := func(f *spec.FieldRule) {
		if fn := spec.CompileString(f.Expr, s.Eval); fn != nil {
			fp.compiled[f] = fn
		}
	}
	for i := range ls.Fields {
		compile(&ls.Fields[i])
	}
	for _, lc := range ls.PerChannel {
		for i := range lc.Fields {
			compile(&lc.Fields[i])
		}
	}
	for _, ch := range s.Channels {
		rules := append([]*spec.FieldRule(nil), fp.top...)
		limits := make([]spec.LengthLimit, len(fp.names))
		for n, name := range fp.names {
			limits[n] = ls.MaxLength[name]
		}
		trunc := ls.Truncate
		if lc := ls.PerChannel[ch.Name]; lc != nil {
			for i := range lc.Fields {
				f := &lc.Fields[i]
				rules[idx[f.Name]] = f
			}
			for name, lim := range lc.MaxLength {
				limits[idx[name]] = lim
			}
			if lc.Truncate != nil {
				trunc = *lc.Truncate
			}
		}
		fp.rules = append(fp.rules, rules)
		fp.limit = append(fp.limit, limits)
		fp.truncate = append(fp.truncate, trunc)
	}
	for _, name := range ls.Shared {
		if i, ok := idx[name]; ok {
			fp.shared = append(fp.shared, i)
		}
	}
	return fp
}

// fieldRun evaluates fields for one worker, reusing one evaluation context.
type fieldRun struct {
	plan     *fieldPlan
	s        *spec.Spec
	ctx      *hcl.EvalContext
	channels []cty.Value
	// topVals caches, per product, the value of top-level rules that do not
	// read `channel`: one evaluation serves every channel.
	topVals []fieldVal
	topDone []bool
	// product is the product being derived; its HCL value is built only
	// when a rule falls back to HCL.
	product      *spec.Product
	productBuilt bool
}

type fieldVal struct {
	value string
	ok    bool // false: null, so the field is not managed
	err   bool
}

func newFieldRun(s *spec.Spec, plan *fieldPlan) *fieldRun {
	fr := &fieldRun{plan: plan, s: s, ctx: s.Eval.NewChild(),
		topVals: make([]fieldVal, len(plan.names)), topDone: make([]bool, len(plan.names))}
	fr.ctx.Variables = map[string]cty.Value{}
	for _, ch := range s.Channels {
		fr.channels = append(fr.channels, spec.ChannelValue(ch))
	}
	return fr
}

// derive returns the fields of product i on every channel, indexed by
// channel; each list is sorted by field name.
func (fr *fieldRun) derive(r *skuRun, i int, listed []bool, traces []*tracer) [][]adapters.Field {
	p := fr.s.Products[i]
	fr.product, fr.productBuilt = p, false
	for n := range fr.topDone {
		fr.topDone[n] = false
	}
	out := make([][]adapters.Field, len(fr.s.Channels))
	for c, ch := range fr.s.Channels {
		if !listed[c] {
			continue
		}
		fr.ctx.Variables["channel"] = fr.channels[c]
		fields := make([]adapters.Field, 0, len(fr.plan.names))
		for n, name := range fr.plan.names {
			rule := fr.plan.rules[c][n]
			if rule == nil {
				continue
			}
			var v fieldVal
			if rule == fr.plan.top[n] && !rule.UsesChannel {
				if !fr.topDone[n] {
					fr.topVals[n] = fr.eval(r, rule, "", p.SKU)
					fr.topDone[n] = true
				}
				v = fr.topVals[n]
				if v.err {
					// Reported once for the SKU, with channel "".
					continue
				}
			} else {
				v = fr.eval(r, rule, ch.Name, p.SKU)
			}
			if !v.ok {
				continue
			}
			if tr := traces[c]; tr != nil {
				tr.step("fields", name, fmt.Sprintf("%q", v.value), "", rule.Expr.Range())
			}
			value := fr.checkLength(r, c, n, ch.Name, p.SKU, v.value, traces[c])
			fields = append(fields, adapters.Field{Name: name, Value: value})
		}
		out[c] = fields
	}
	fr.checkShared(r, p.SKU, out, listed)
	return out
}

// eval evaluates one field expression to a string.
func (fr *fieldRun) eval(r *skuRun, rule *spec.FieldRule, channel, sku string) fieldVal {
	if f := fr.plan.compiled[rule]; f != nil {
		if v, ok := f(fr.product); ok {
			return fieldVal{value: v, ok: true}
		}
	}
	if !fr.productBuilt && !fr.plan.product.Empty() {
		fr.ctx.Variables["product"] = fr.plan.product.Value(fr.product)
		fr.productBuilt = true
	}
	v, diags := rule.Expr.Value(fr.ctx)
	if diags.HasErrors() {
		r.add(Finding{Severity: Error, Code: CodeFieldError, Channel: channel, SKU: sku, Field: rule.Name,
			Message: fmt.Sprintf("field %s: %s", rule.Name, diagText(diags)), Range: rule.Expr.Range()})
		return fieldVal{err: true}
	}
	if v.IsNull() {
		return fieldVal{}
	}
	switch v.Type() {
	case cty.String:
		return fieldVal{value: v.AsString(), ok: true}
	case cty.Number:
		return fieldVal{value: v.AsBigFloat().Text('f', -1), ok: true}
	case cty.Bool:
		if v.True() {
			return fieldVal{value: "true", ok: true}
		}
		return fieldVal{value: "false", ok: true}
	}
	r.add(Finding{Severity: Error, Code: CodeFieldError, Channel: channel, SKU: sku, Field: rule.Name,
		Message: fmt.Sprintf("field %s must be a string; it is %s", rule.Name, v.Type().FriendlyName()), Range: rule.Expr.Range()})
	return fieldVal{err: true}
}

func diagText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			parts = append(parts, strings.TrimSuffix(d.Summary+": "+d.Detail, "."))
		}
	}
	return strings.Join(parts, "; ")
}

// checkLength enforces max_length, truncating at a word boundary when the
// spec allows it.
func (fr *fieldRun) checkLength(r *skuRun, c, n int, channel, sku, value string, tr *tracer) string {
	lim := fr.plan.limit[c][n]
	if lim.Chars == 0 {
		return value
	}
	length := utf8.RuneCountInString(value)
	if length <= lim.Chars {
		return value
	}
	name := fr.plan.names[n]
	if !fr.plan.truncate[c] {
		r.add(Finding{Severity: Error, Code: CodeMaxLength, Channel: channel, SKU: sku, Field: name,
			Message: fmt.Sprintf("%s is %d characters, over max_length %d on %s", name, length, lim.Chars, channel), Range: lim.Range})
		return value
	}
	cut := Truncate(value, lim.Chars)
	r.add(Finding{Severity: Warning, Code: CodeTruncated, Channel: channel, SKU: sku, Field: name,
		Message: fmt.Sprintf("%s is %d characters, over max_length %d on %s; cut to %d at a word boundary", name, length, lim.Chars, channel, utf8.RuneCountInString(cut)), Range: lim.Range})
	if tr != nil {
		tr.step("fields", name+" truncated", fmt.Sprintf("%q", cut), fmt.Sprintf("%d characters cut to max_length %d", length, lim.Chars), lim.Range)
	}
	return cut
}

// Truncate returns the longest prefix of whole space-separated words of s
// that is at most limit characters; a first word longer than the limit is
// cut at the limit.
func Truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	// end is the byte offset just past the first limit characters.
	end, count := 0, 0
	for end < len(s) && count < limit {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		count++
	}
	if end < len(s) && s[end] == ' ' {
		return strings.TrimRight(s[:end], " ")
	}
	if sp := strings.LastIndexByte(s[:end], ' '); sp >= 0 {
		if w := strings.TrimRight(s[:sp], " "); w != "" {
			return w
		}
	}
	return s[:end]
}

// checkShared reports channels whose value of a shared field differs from
// the reference: the top-level value when it is the same on every channel,
// else the first channel's.
func (fr *fieldRun) checkShared(r *skuRun, sku string, out [][]adapters.Field, listed []bool) {
	for _, n := range fr.plan.shared {
		name := fr.plan.names[n]
		var want string
		var wantOK, haveRef bool
		refName := "the listing block"
		if fr.topDone[n] {
			if fr.topVals[n].err {
				continue
			}
			want, wantOK, haveRef = fr.topVals[n].value, fr.topVals[n].ok, true
		}
		for c, ch := range fr.s.Channels {
			if !listed[c] {
				continue
			}
			got, has := fieldOf(out[c], name)
			if !haveRef {
				want, wantOK, haveRef, refName = got, has, true, ch.Name
				continue
			}
			if has == wantOK && got == want {
				continue
			}
			rng := fr.plan.listing.SharedRange
			if lc := fr.plan.listing.PerChannel[ch.Name]; lc != nil {
				rng = lc.Range
			}
			r.add(Finding{Severity: Error, Code: CodeSharedField, Channel: ch.Name, SKU: sku, Field: name,
				Message: fmt.Sprintf("%s is shared and must be identical on every channel, but %s has %q where %s has %q", name, ch.Name, got, refName, want), Range: rng})
		}
	}
}

func fieldOf(fs []adapters.Field, name string) (string, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}
