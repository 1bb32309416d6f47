package derive

import "github.com/hashicorp/hcl/v2"

// Step is one step of a derivation, for `accord explain`.
type Step struct {
	// Topic is "quantity", "price" or "fields".
	Topic string
	// Label names the step: "list price", "adjust", "rounding"...
	Label string
	// Value is the result of the step.
	Value string
	// Detail is the arithmetic or the reason.
	Detail string
	// Range is the spec (or catalog) line that caused the step.
	Range hcl.Range
}

// hclNone is the range of a step no single line caused.
var hclNone hcl.Range

// tracer records steps; a nil tracer records nothing, so the hot path pays
// one nil check per step.
type tracer struct {
	steps []Step
}

func (t *tracer) step(topic, label, value, detail string, rng hcl.Range) {
	if t == nil {
		return
	}
	t.steps = append(t.steps, Step{Topic: topic, Label: label, Value: value, Detail: detail, Range: rng})
}
