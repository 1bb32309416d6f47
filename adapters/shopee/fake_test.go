package shopee

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
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

var testEnv = shopeetest.Env()

// setupFor is the setup of a channel "shopee_sg" in SGD with config.
func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(config), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return adapters.Setup{
		Name: "shopee_sg", Currency: shopeetest.Currency, Scale: 2, Config: f.Body, SpecDir: t.TempDir(),
		Eval: &hcl.EvalContext{Functions: map[string]function.Function{"env": envFunc(testEnv)}},
	}
}

// fake is the fake of shopeetest, with the adapter opened on it.
type fake struct {
	*shopeetest.Server
}

func newFake(t testing.TB) *fake {
	return &fake{shopeetest.New(t)}
}

func (f *fake) open(t testing.TB) *Channel {
	t.Helper()
	return f.openWith(t, setupFor(t, f.Config("")))
}

func (f *fake) openWith(t testing.TB, s adapters.Setup) *Channel {
	t.Helper()
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Tests pace by the fake's limits, not by the default rate, and a
	// throttle pauses for a moment only.
	c.budget = adapters.NewBudgets(nil).For("test", adapters.Unlimited, adapters.Unlimited)
	c.pause = time.Millisecond
	return c
}
