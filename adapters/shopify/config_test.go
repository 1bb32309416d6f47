package shopify

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

// testEnv is env() over a fixed environment, as the spec evaluates it.
func testEnv(env map[string]string) *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{"env": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if v, ok := env[args[0].AsString()]; ok {
				return cty.StringVal(v), nil
			}
			return cty.NilVal, errors.New("environment variable " + args[0].AsString() + " is not set")
		},
	})}}
}

func setupOf(t *testing.T, config string, env map[string]string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(config), "accord.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return adapters.Setup{Name: "shopify", Currency: "USD", Scale: 2, Config: f.Body, Eval: testEnv(env)}
}

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(setupOf(t, `
shop         = "northwind-audio"
access_token = env("SHOPIFY_ACCESS_TOKEN")
location     = "42"
`, map[string]string{"SHOPIFY_ACCESS_TOKEN": "shpat_secret"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConfig(setupOf(t, "shop = \"a\"\naccess_token = \"${env(\"T\")}\"\n", map[string]string{"T": "x"})); err != nil {
		t.Errorf("a template of env(): %v", err)
	}
	if cfg.Endpoint != "https://northwind-audio.myshopify.com" || cfg.APIVersion != "2025-04" || cfg.Location != "gid://shopify/Location/42" || cfg.token != "shpat_secret" {
		t.Errorf("decoded %+v", cfg)
	}
	if strings.Contains(cfg.String(), "shpat_secret") {
		t.Error("the config's String shows the token")
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		want         []string
	}{
		{"token written in the spec", `
shop         = "northwind-audio"
access_token = "shpat_literal"
`, []string{"accord.hcl:3", "access_token must come from the environment"}},
		{"variable unset", `
shop         = "northwind-audio"
access_token = env("SHOPIFY_ACCESS_TOKEN")
`, []string{"Missing environment variable SHOPIFY_ACCESS_TOKEN", "The environment variable SHOPIFY_ACCESS_TOKEN is not set"}},
		{"bad shop, version and endpoint", `
shop         = "North Wind"
api_version  = "latest"
access_token = env("T")
endpoint     = "ftp://x"
`, []string{"Invalid shop", "Invalid api_version", "Invalid endpoint"}},
		{"unknown attribute", `
shop         = "northwind-audio"
acess_token  = env("T")
`, []string{"Unsupported argument", "access_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeConfig(setupOf(t, tc.config, map[string]string{"T": "tok"}))
			var ce *adapters.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			var all strings.Builder
			for _, d := range ce.Diags {
				if d.Subject != nil {
					all.WriteString(d.Subject.String() + " ")
				}
				all.WriteString(d.Summary + ": " + d.Detail + "\n")
			}
			for _, w := range tc.want {
				if !strings.Contains(all.String(), w) {
					t.Errorf("%s lacks %q", all.String(), w)
				}
			}
			if strings.Contains(err.Error(), "shpat_literal") {
				t.Error("the error shows the token")
			}
		})
	}
}
