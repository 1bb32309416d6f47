package amazon

import (
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/amazon/amazontest"
)

var testEnv = amazontest.Env()

func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	return adaptertest.Setup(t, "amazon_us", "USD", 2, config, testEnv)
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
			adaptertest.ConfigError(t, err, tc.want, "Atzr|inline")
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
	s.Eval.Functions["env"] = adaptertest.EnvFunc(nil)
	_, err := DecodeConfig(s)
	adaptertest.MissingVariables(t, err, "set AMAZON_CLIENT_ID, AMAZON_CLIENT_SECRET, AMAZON_REFRESH_TOKEN, AMAZON_SELLER_ID.")
}
