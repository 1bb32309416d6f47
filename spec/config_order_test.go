package spec_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// A config schema is a map, and HCL reports its missing arguments in map
// order; the spec reports them sorted, so that the same spec always reads
// the same (and golden files do not flake).
func TestConfigDiagnosticsSorted(t *testing.T) {
	kind := adapters.Kind{Name: "multi", Config: &hcldec.ObjectSpec{
		"delta": &hcldec.AttrSpec{Name: "delta", Type: cty.String, Required: true},
		"alpha": &hcldec.AttrSpec{Name: "alpha", Type: cty.String, Required: true},
		"gamma": &hcldec.AttrSpec{Name: "gamma", Type: cty.String, Required: true},
		"beta":  &hcldec.AttrSpec{Name: "beta", Type: cty.String, Required: true},
	}}
	reg := adapters.NewRegistry(kind)
	for name, src := range map[string]string{
		"no block":    "channel \"shop\" {\n  type = \"multi\"\n}\n",
		"empty block": "channel \"shop\" {\n  type = \"multi\"\n  config {\n  }\n}\n",
	} {
		var first string
		for i := range 30 {
			_, diags := spec.Load(fstest.MapFS{"main.hcl": {Data: []byte(src)}}, spec.Options{Types: reg})
			var got []string
			for _, d := range diags {
				if strings.Contains(d.Detail, "alpha") || strings.Contains(d.Detail, "beta") {
					got = append(got, d.Detail)
				}
			}
			text := strings.Join(got, "\n")
			if i == 0 {
				first = text
				if !strings.Contains(text, "alpha") || strings.Index(text, "alpha") > strings.Index(text, "beta") {
					t.Fatalf("%s: not sorted: %s", name, text)
				}
				continue
			}
			if text != first {
				t.Fatalf("%s: load %d reads\n%s\nwhere the first read\n%s", name, i, text, first)
			}
		}
	}
}
