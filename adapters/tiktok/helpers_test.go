package tiktok

import (
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/tiktok/tiktoktest"
)

// envFunc is env() reading from m.
func envFunc(m map[string]string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, ok := m[args[0].AsString()]
			if !ok {
				return cty.NilVal, errors.New("environment variable " + args[0].AsString() + " is not set")
			}
			return cty.StringVal(v), nil
		},
	})
}

// setupFor is a Setup of the config text, env() reading env.
func setupFor(t testing.TB, config string, env map[string]string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(config), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return adapters.Setup{
		Name: "tiktok_us", Currency: "USD", Scale: 2, Config: f.Body,
		Eval: &hcl.EvalContext{Functions: map[string]function.Function{"env": envFunc(env)}},
	}
}

// fake is the fake Open API with the adapter opened on it.
type fake struct {
	*tiktoktest.Server
}

func newFake(t testing.TB) *fake { return &fake{tiktoktest.New(t)} }

func (f *fake) open(t testing.TB) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(""), f.Env())
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	// The fake has no rate limit unless a test sets one: the tests do not
	// wait on the default pacing (TestPacing does).
	c.budget = adapters.NewBudgets(nil).For("test", adapters.Unlimited, adapters.Unlimited)
	return c
}
