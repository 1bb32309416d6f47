package walmart

import (
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters/adaptertest"
)

const goodConfig = `
client_id     = env("WALMART_CLIENT_ID")
client_secret = env("WALMART_CLIENT_SECRET")
`

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ClientID: testEnv["WALMART_CLIENT_ID"], ClientSecret: testEnv["WALMART_CLIENT_SECRET"],
		Endpoint: DefaultEndpoint, ServiceName: DefaultServiceName, FeedThreshold: DefaultFeedThreshold,
		ReadPromotions: true, WebhookHeader: DefaultWebhookHeader,
	}
	if cfg != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestDecodeConfigOverrides(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig+`
endpoint        = "https://sandbox.walmartapis.com/"
service_name    = "Accord Sync"
feed_threshold  = 0
ship_node       = "721407"
read_promotions = false
webhook_secret  = env("WALMART_WEBHOOK_SECRET")
webhook_header  = "X-Hook-Signature"
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://sandbox.walmartapis.com" || cfg.ServiceName != "Accord Sync" || cfg.FeedThreshold != 0 ||
		cfg.ShipNode != "721407" || cfg.ReadPromotions || cfg.WebhookSecret != testEnv["WALMART_WEBHOOK_SECRET"] || cfg.WebhookHeader != "X-Hook-Signature" {
		t.Errorf("overrides: %+v", cfg)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ config, want string }{
		"secret inline":  {strings.Replace(goodConfig, `env("WALMART_CLIENT_SECRET")`, `"inline-s3cret"`, 1), "client_secret is a secret"},
		"webhook inline": {goodConfig + "webhook_secret = \"inline-s3cret\"\n", "webhook_secret is a secret"},
		"threshold":      {goodConfig + "feed_threshold = 10001\n", "feed_threshold is a whole number from 0 to 10000"},
		"endpoint":       {goodConfig + "endpoint = \"ftp://x\"\n", "not an http(s) URL"},
		"unknown":        {goodConfig + "shipnode = \"1\"\n", "Unsupported argument"},
		"missing":        {"client_id = env(\"WALMART_CLIENT_ID\")\n", "Missing required argument"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeConfig(setupFor(t, tc.config))
			adaptertest.ConfigError(t, err, tc.want, "inline-s3cret")
		})
	}
}

// Without credentials, one diagnostic names every variable to set.
func TestConfigNamesEveryMissingVariable(t *testing.T) {
	s := setupFor(t, goodConfig+"webhook_secret = env(\"WALMART_WEBHOOK_SECRET\")\n")
	s.Eval.Functions["env"] = adaptertest.EnvFunc(nil)
	_, err := DecodeConfig(s)
	adaptertest.MissingVariables(t, err, "set WALMART_CLIENT_ID, WALMART_CLIENT_SECRET, WALMART_WEBHOOK_SECRET.")
}
