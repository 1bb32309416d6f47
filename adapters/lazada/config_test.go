package lazada

import (
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

var testEnv = lazadatest.Env()

func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	s := adaptertest.Setup(t, "lazada_sg", "SGD", 2, config, testEnv)
	s.SpecDir = "/spec"
	return s
}

const goodConfig = `
app_key       = "100123"
app_secret    = env("LAZADA_APP_SECRET")
refresh_token = env("LAZADA_REFRESH_TOKEN")
region        = "sg"
`

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://api.lazada.sg/rest" || cfg.AuthEndpoint != DefaultAuthEndpoint || cfg.BatchSize != 20 || cfg.TokenFile != "" {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.RefreshToken != testEnv["LAZADA_REFRESH_TOKEN"] || cfg.AppSecret != testEnv["LAZADA_APP_SECRET"] {
		t.Error("secrets not read from env()")
	}
	for region, host := range map[string]string{"my": "https://api.lazada.com.my/rest", "vn": "https://api.lazada.vn/rest", "th": "https://api.lazada.co.th/rest", "ph": "https://api.lazada.com.ph/rest", "id": "https://api.lazada.co.id/rest"} {
		s := setupFor(t, strings.Replace(goodConfig, `"sg"`, `"`+region+`"`, 1))
		s.Currency = ""
		cfg, err := DecodeConfig(s)
		if err != nil || cfg.Endpoint != host {
			t.Errorf("region %s: %v, %q", region, err, cfg.Endpoint)
		}
	}
}

func TestDecodeConfigOverrides(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig+`
endpoint      = "http://127.0.0.1:9/rest/"
auth_endpoint = "http://127.0.0.1:9/auth/rest"
token_file    = "state/lazada.json"
batch_size    = 50
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "http://127.0.0.1:9/rest" || cfg.AuthEndpoint != "http://127.0.0.1:9/auth/rest" || cfg.TokenFile != "/spec/state/lazada.json" || cfg.BatchSize != 50 {
		t.Errorf("overrides: %+v", cfg)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ config, want string }{
		"secret inline":  {strings.Replace(goodConfig, `env("LAZADA_APP_SECRET")`, `"inline-secret-value"`, 1), "app_secret is a secret"},
		"token inline":   {goodConfig + "access_token = \"inline-secret-value\"\n", "access_token is a secret"},
		"bad region":     {strings.Replace(goodConfig, `"sg"`, `"us"`, 1), `"us" is not one of`},
		"batch":          {goodConfig + "batch_size = 51\n", "batch_size is a whole number from 1 to 50"},
		"endpoint":       {goodConfig + "endpoint = \"ftp://x\"\n", "not an http(s) URL"},
		"unknown":        {goodConfig + "seller_id = \"x\"\n", "Unsupported argument"},
		"missing":        {"region = \"sg\"\n", "Missing required argument"},
		"no token":       {strings.Replace(goodConfig, `refresh_token = env("LAZADA_REFRESH_TOKEN")`, "", 1), "Give refresh_token"},
		"wrong currency": {strings.Replace(goodConfig, `"sg"`, `"th"`, 1), "Lazada th sells in THB, but the channel's currency is SGD"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeConfig(setupFor(t, tc.config))
			adaptertest.ConfigError(t, err, tc.want, "inline-secret-value")
		})
	}
}

// Without credentials, one diagnostic names every variable to set.
func TestConfigNamesEveryMissingVariable(t *testing.T) {
	s := setupFor(t, goodConfig+"access_token = env(\"LAZADA_ACCESS_TOKEN\")\n")
	s.Eval.Functions["env"] = adaptertest.EnvFunc(nil)
	_, err := DecodeConfig(s)
	adaptertest.MissingVariables(t, err, "set LAZADA_ACCESS_TOKEN, LAZADA_APP_SECRET, LAZADA_REFRESH_TOKEN.")
}

// Kind.Open hands back no adapter, not a nil one, on a bad config.
func TestKindOpenBadConfig(t *testing.T) {
	ch, err := Kind.Open(t.Context(), setupFor(t, "region = \"sg\"\n"))
	if err == nil || ch != nil {
		t.Errorf("Open = %v, %v; want no channel and an error", ch, err)
	}
}
