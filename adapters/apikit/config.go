package apikit

import (
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
)

// Block is one channel's config block, decoded against its kind's schema.
// Its getters read attributes and record every problem at its attribute;
// Err returns them all at once.
type Block struct {
	channel string
	body    hcl.Body
	attrs   hcl.Attributes
	val     cty.Value
	diags   hcl.Diagnostics
}

// Decode decodes setup's config block against spec. secrets are the
// attributes that may only be given through env(): written as a literal
// they are an error ("Secret written in the spec") that suggests
// env("PREFIX_NAME"). The env() calls of unset variables become one
// diagnostic naming them all, so that a first run without credentials says
// everything it needs at once. A block that does not decode is returned
// with its diagnostics and Err set; its getters then return zero values.
func Decode(setup adapters.Setup, spec hcldec.ObjectSpec, secrets []string, envPrefix string) *Block {
	body := setup.Config
	if body == nil {
		body = hcl.EmptyBody()
	}
	b := &Block{channel: setup.Name, body: body, val: cty.NullVal(hcldec.ImpliedType(spec))}
	b.attrs, _ = body.JustAttributes()
	for _, name := range secrets {
		a, ok := b.attrs[name]
		if !ok {
			continue
		}
		if call, isCall := a.Expr.(*hclsyntax.FunctionCallExpr); !isCall || call.Name != "env" {
			rng := a.Expr.Range()
			b.diags = append(b.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Secret written in the spec",
				Detail: fmt.Sprintf("%s is a secret: give it through env(\"NAME\") so that it never lands in git, for example %s = env(\"%s_%s\").",
					name, name, envPrefix, strings.ToUpper(name)),
				Subject: &rng,
			})
		}
	}
	v, dd := hcldec.Decode(body, spec, setup.Eval)
	b.diags = append(b.diags, MissingEnv(setup.Name, dd)...)
	if !dd.HasErrors() {
		b.val = v
	}
	return b
}

// Has reports whether the block sets name.
func (b *Block) Has(name string) bool {
	if b.val.IsNull() || !b.val.Type().IsObjectType() || !b.val.Type().HasAttribute(name) {
		return false
	}
	x := b.val.GetAttr(name)
	return !x.IsNull() && x.IsKnown()
}

// String is a string attribute, "" when not set.
func (b *Block) String(name string) string {
	if !b.Has(name) {
		return ""
	}
	return b.val.GetAttr(name).AsString()
}

// Required is a string attribute that must not be empty.
func (b *Block) Required(name string) string {
	s := b.String(name)
	if s == "" && !b.val.IsNull() {
		b.Bad(name, name+" is empty.")
	}
	return s
}

// Bool is a bool attribute, def when not set.
func (b *Block) Bool(name string, def bool) bool {
	if !b.Has(name) {
		return def
	}
	return b.val.GetAttr(name).True()
}

// Int is a whole-number attribute from lo to hi, def when not set; what
// says what the number is, for the diagnostic.
func (b *Block) Int(name string, def, lo, hi int, what string) int {
	return b.IntIn(name, def, lo, hi, fmt.Sprintf("%s is a whole number from %d to %d: %s.", name, lo, hi, what))
}

// IntIn is Int with the diagnostic's detail written whole, for a message
// Int's does not fit.
func (b *Block) IntIn(name string, def, lo, hi int, detail string) int {
	if !b.Has(name) {
		return def
	}
	i, acc := b.val.GetAttr(name).AsBigFloat().Int64()
	if acc != big.Exact || i < int64(lo) || i > int64(hi) {
		b.Bad(name, detail)
		return def
	}
	return int(i)
}

// URL is an http(s) URL attribute without its trailing slash, def when not
// set.
func (b *Block) URL(name, def string) string {
	s := b.String(name)
	if s == "" {
		return def
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		b.Bad(name, fmt.Sprintf("%q is not an http(s) URL.", s))
		return def
	}
	return strings.TrimSuffix(s, "/")
}

// OneOf is a string attribute that must be one of the keys of choices,
// def when not set; it returns the value chosen.
func (b *Block) OneOf(name, def string, choices []string) string {
	s := b.String(name)
	if s == "" {
		return def
	}
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	q := make([]string, len(choices))
	for i, c := range choices {
		q[i] = fmt.Sprintf("%q", c)
	}
	b.Bad(name, fmt.Sprintf("%q is not one of %s.", s, strings.Join(q, ", ")))
	return def
}

// Bad records a problem with attribute name (at the block when it is not
// set).
func (b *Block) Bad(name, detail string) {
	rng := b.body.MissingItemRange()
	if a, ok := b.attrs[name]; ok {
		rng = a.Expr.Range()
	}
	b.diags = append(b.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + name, Detail: detail, Subject: &rng})
}

// Err is every problem found, as an *adapters.ConfigError, or nil.
func (b *Block) Err() error {
	if !b.diags.HasErrors() {
		return nil
	}
	return &adapters.ConfigError{Channel: b.channel, Diags: b.diags}
}

// unsetEnv finds the variable of env()'s failure for an unset one.
var unsetEnv = regexp.MustCompile(`environment variable (\S+?) is not set`)

// MissingEnv folds the failures of env() for unset variables into one
// diagnostic naming them all.
func MissingEnv(channel string, diags hcl.Diagnostics) hcl.Diagnostics {
	var names []string
	var first *hcl.Range
	out := diags[:0:0]
	for _, d := range diags {
		if m := unsetEnv.FindStringSubmatch(d.Detail); m != nil {
			names = append(names, m[1])
			if first == nil {
				first = d.Subject
			}
			continue
		}
		out = append(out, d)
	}
	if len(names) == 0 {
		return diags
	}
	sort.Strings(names)
	return append(hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Environment variables not set",
		Detail:   fmt.Sprintf("Channel %s reads its credentials from the environment; set %s.", channel, strings.Join(names, ", ")),
		Subject:  first,
	}}, out...)
}
