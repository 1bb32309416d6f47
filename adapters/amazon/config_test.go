package amazon

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/amazon/amazontest"
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

var testEnv = amazontest.Env()

func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(config), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return adapters.Setup{
		Name: "amazon_us", Currency: "USD", Scale: 2, Config: f.Body,
		Eval: &hcl.EvalContext{Functions: map[string]function.Function{"env": envFunc(testEnv)}},
	}
}

const goodConfig = `
region         = "na"
marketplace_id = "ATVPDKIKX0DER"
seller_id      = "A1SELLER"
client_id      = env("AMAZON_CLIENT_ID")
client_secret  = env("AMAZON_CLIENT_SECRET")
refresh_token  = env("AMAZON_REFRESH_TOKEN")
`

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://sellingpartnerapi-na.amazon.com" || cfg.TokenEndpoint != DefaultTokenEndpoint || cfg.FeedThreshold != 200 {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.RefreshToken != testEnv["AMAZON_REFRESH_TOKEN"] {
		t.Errorf("refresh token not read from env()")
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ config, want string }{
		"secret inline": {strings.Replace(goodConfig, `env("AMAZON_REFRESH_TOKEN")`, `"Atzr|inline"`, 1), "refresh_token is a secret"},
		"bad region":    {strings.Replace(goodConfig, `"na"`, `"us"`, 1), `"us" is not an SP-API region`},
		"threshold":     {goodConfig + "feed_threshold = -1\n", "feed_threshold is a whole number"},
		"endpoint":      {goodConfig + "endpoint = \"ftp://x\"\n", "not an http(s) URL"},
		"unknown":       {goodConfig + "marketplace = \"x\"\n", "Unsupported argument"},
		"missing":       {"region = \"na\"\n", "Missing required argument"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeConfig(setupFor(t, tc.config))
			var ce *adapters.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
			for _, d := range ce.Diags {
				if d.Subject == nil {
					t.Errorf("diagnostic %q points nowhere", d.Summary)
				}
			}
			if strings.Contains(err.Error(), "Atzr|inline") {
				t.Error("the error quotes the secret")
			}
		})
	}
}

func TestDecodeConfigOverrides(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, strings.Replace(goodConfig, `"na"`, `"eu"`, 1)+`
endpoint = "http://127.0.0.1:9/"
token_endpoint = "http://127.0.0.1:9/auth/o2/token"
feed_threshold = 0
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "http://127.0.0.1:9" || cfg.TokenEndpoint != "http://127.0.0.1:9/auth/o2/token" || cfg.FeedThreshold != 0 {
		t.Errorf("overrides: %+v", cfg)
	}
}

// Without credentials, one diagnostic names every variable to set.
func TestConfigNamesEveryMissingVariable(t *testing.T) {
	s := setupFor(t, strings.Replace(goodConfig, `"A1SELLER"`, `env("AMAZON_SELLER_ID")`, 1))
	s.Eval.Functions["env"] = envFunc(nil)
	_, err := DecodeConfig(s)
	var ce *adapters.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	want := "set AMAZON_CLIENT_ID, AMAZON_CLIENT_SECRET, AMAZON_REFRESH_TOKEN, AMAZON_SELLER_ID."
	if len(ce.Diags) != 1 || !strings.Contains(ce.Diags[0].Detail, want) || ce.Diags[0].Subject == nil {
		t.Errorf("diagnostics %v, want one saying %q", ce.Diags, want)
	}
}
