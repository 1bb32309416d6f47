package adaptertest

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/adapters"
)

// Setup is the setup of channel, selling in currency with scale minor-unit
// places, whose config block holds hclBody (read as config.hcl), with an
// env() function reading env: a variable env lacks (all of them when env
// is nil) is not set.
func Setup(t testing.TB, channel, currency string, scale int32, hclBody string, env map[string]string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(hclBody), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return adapters.Setup{
		Name: channel, Currency: currency, Scale: scale, Config: f.Body,
		Eval: &hcl.EvalContext{Functions: map[string]function.Function{"env": EnvFunc(env)}},
	}
}

// EnvFunc is env() reading from m: a name m lacks is an unset variable.
func EnvFunc(m map[string]string) function.Function {
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

// ConfigError checks what a config decoder answered a bad config block: a
// *adapters.ConfigError saying want, every diagnostic pointing into the
// block, quoting none of secrets.
func ConfigError(t testing.TB, err error, want string, secrets ...string) {
	t.Helper()
	var ce *adapters.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
	for _, d := range ce.Diags {
		if d.Subject == nil {
			t.Errorf("diagnostic %q points nowhere", d.Summary)
		}
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Error("the error quotes the secret")
		}
	}
}

// MissingVariables checks what a config decoder answered a block whose
// env() variables are not set: a *adapters.ConfigError of one diagnostic,
// pointing into the block, saying want ("set A, B.").
func MissingVariables(t testing.TB, err error, want string) {
	t.Helper()
	var ce *adapters.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	if len(ce.Diags) != 1 || !strings.Contains(ce.Diags[0].Detail, want) || ce.Diags[0].Subject == nil {
		t.Errorf("diagnostics %v, want one saying %q", ce.Diags, want)
	}
}
