package ebay

import (
	"errors"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/ebay/ebaytest"
)

const goodConfig = `
client_id      = env("EBAY_CLIENT_ID")
client_secret  = env("EBAY_CLIENT_SECRET")
refresh_token  = env("EBAY_REFRESH_TOKEN")
marketplace_id = "EBAY_US"
`

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ClientID: ebaytest.ClientID, ClientSecret: ebaytest.ClientSecret, RefreshToken: ebaytest.RefreshToken,
		MarketplaceID: "EBAY_US", ContentLanguage: "en-US",
		Endpoint: DefaultEndpoint, TokenEndpoint: DefaultTokenEndpoint, NotificationEndpoint: DefaultEndpoint,
	}
	if cfg != want {
		t.Errorf("DecodeConfig = %+v, want %+v", cfg, want)
	}
	cfg, err = DecodeConfig(setupFor(t, goodConfig+`
content_language      = "de-DE"
endpoint              = "https://api.sandbox.ebay.com/"
token_endpoint        = "https://api.sandbox.ebay.com/identity/v1/oauth2/token"
notification_endpoint = "https://api.sandbox.ebay.com"
verification_token    = env("EBAY_VERIFICATION_TOKEN")
webhook_endpoint      = "https://accord.example/api/hooks/channel/ebay_us"
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://api.sandbox.ebay.com" || cfg.ContentLanguage != "de-DE" || cfg.VerificationToken != ebaytest.VerificationToken ||
		cfg.WebhookEndpoint != "https://accord.example/api/hooks/channel/ebay_us" {
		t.Errorf("DecodeConfig = %+v", cfg)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		config string
		want   []string
	}{
		"nothing": {``, []string{`"client_id" is required`, `"marketplace_id" is required`}},
		"unset variables": {`
client_id      = env("EBAY_ID_UNSET")
client_secret  = env("EBAY_SECRET_UNSET")
refresh_token  = env("EBAY_REFRESH_TOKEN")
marketplace_id = "EBAY_US"
`, []string{"set EBAY_ID_UNSET, EBAY_SECRET_UNSET."}},
		"literal secret": {`
client_id      = env("EBAY_CLIENT_ID")
client_secret  = "PRD-written-in-the-spec"
refresh_token  = env("EBAY_REFRESH_TOKEN")
marketplace_id = "EBAY_US"
`, []string{"client_secret is a secret", `env("EBAY_CLIENT_SECRET")`}},
		"bad endpoint":      {goodConfig + `endpoint = "api.ebay.com"`, []string{`"api.ebay.com" is not an http(s) URL`}},
		"token without url": {goodConfig + `verification_token = env("EBAY_VERIFICATION_TOKEN")`, []string{"webhook_endpoint is the public URL"}},
		"url without token": {goodConfig + `webhook_endpoint = "https://accord.example/hook"`, []string{"verification_token is the token given to eBay"}},
		"unknown attribute": {goodConfig + `marketplace = "EBAY_US"`, []string{"Unsupported argument"}},
		"empty marketplace": {strings.Replace(goodConfig, `"EBAY_US"`, `""`, 1), []string{"marketplace_id is empty"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeConfig(setupFor(t, tc.config))
			var cfgErr *adapters.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("DecodeConfig = %v, want a *ConfigError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\ndoes not say %q", err, w)
				}
			}
			for _, secret := range []string{ebaytest.ClientSecret, ebaytest.RefreshToken, "PRD-written-in-the-spec"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error quotes a secret: %v", err)
				}
			}
		})
	}
}

func TestFakeConfigOpens(t *testing.T) {
	f := newFake(t)
	c := f.open(t)
	if c.cfg.Endpoint != f.URL() || c.cfg.TokenEndpoint != f.TokenURL() || c.cfg.VerificationToken == "" {
		t.Errorf("the fake's config: %+v", c.cfg)
	}
	perDay, day := c.RevisionLimit()
	if perDay != 250 || day.String() != "America/Los_Angeles" {
		t.Errorf("RevisionLimit = %d, %v; want 250 a day in America/Los_Angeles", perDay, day)
	}
	if lim := c.Limits(); lim.PageSize != 200 || lim.BatchSize < 25 {
		t.Errorf("Limits = %+v", lim)
	}
}
