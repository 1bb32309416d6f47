package walmart

import (
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/walmart/walmarttest"
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

var testEnv = walmarttest.Env()

func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(config), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return adapters.Setup{
		Name: "walmart_us", Currency: "USD", Scale: 2, Config: f.Body,
		Eval: &hcl.EvalContext{Functions: map[string]function.Function{"env": envFunc(testEnv)}},
	}
}

// fake is the fake Walmart API of walmarttest.
type fake struct {
	*walmarttest.Server
}

func newFake(t testing.TB) *fake { return &fake{walmarttest.New(t)} }

// open opens an adapter on the fake; mod, when not nil, changes its setup.
func (f *fake) open(t testing.TB, extra string, mod ...func(*adapters.Setup)) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(extra))
	s.HTTPClient = f.Client()
	for _, m := range mod {
		m(&s)
	}
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
