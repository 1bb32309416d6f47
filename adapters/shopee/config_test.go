package shopee

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
)

const goodConfig = `
partner_id    = 2001887
shop_id       = 14701711
partner_key   = env("SHOPEE_PARTNER_KEY")
access_token  = env("SHOPEE_ACCESS_TOKEN")
refresh_token = env("SHOPEE_REFRESH_TOKEN")
`

func TestDecodeConfig(t *testing.T) {
	s := setupFor(t, goodConfig)
	cfg, err := DecodeConfig(s)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		PartnerID: 2001887, ShopID: 14701711, PartnerKey: shopeetest.PartnerKey,
		AccessToken: shopeetest.AccessToken, RefreshToken: shopeetest.RefreshToken, Endpoint: DefaultEndpoint,
	}
	if cfg != want {
		t.Errorf("config %+v, want %+v", cfg, want)
	}
	s = setupFor(t, goodConfig+`
endpoint    = "https://openplatform.sandbox.test-stable.shopee.sg/"
token_file  = "state/shopee-tokens.json"
discount_id = 700000001
`)
	cfg, err = DecodeConfig(s)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "https://openplatform.sandbox.test-stable.shopee.sg" || cfg.DiscountID != 700000001 ||
		cfg.TokenFile != filepath.Join(s.SpecDir, "state", "shopee-tokens.json") {
		t.Errorf("overrides: %+v", cfg)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ config, want string }{
		"secret inline": {strings.Replace(goodConfig, `env("SHOPEE_PARTNER_KEY")`, `"shpk-inline"`, 1), `partner_key = env("SHOPEE_PARTNER_KEY")`},
		"token inline":  {strings.Replace(goodConfig, `env("SHOPEE_REFRESH_TOKEN")`, `"shpk-inline"`, 1), "refresh_token is a secret"},
		"shop id":       {strings.Replace(goodConfig, "14701711", "-1", 1), "shop_id is a whole number"},
		"partner id":    {strings.Replace(goodConfig, "2001887", "1.5", 1), "partner_id is a whole number"},
		"endpoint":      {goodConfig + "endpoint = \"ftp://x\"\n", "not an http(s) URL"},
		"discount":      {goodConfig + "discount_id = 0\n", "discount_id is a whole number"},
		"unknown":       {goodConfig + "shop = 1\n", "Unsupported argument"},
		"missing":       {"partner_id = 1\n", "Missing required argument"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeConfig(setupFor(t, tc.config))
			adaptertest.ConfigError(t, err, tc.want, "shpk-inline")
		})
	}
}

// Without credentials, one diagnostic names every variable to set.
func TestConfigNamesEveryMissingVariable(t *testing.T) {
	s := setupFor(t, goodConfig)
	s.Eval.Functions["env"] = adaptertest.EnvFunc(nil)
	_, err := Open(t.Context(), s)
	adaptertest.MissingVariables(t, err, "set SHOPEE_ACCESS_TOKEN, SHOPEE_PARTNER_KEY, SHOPEE_REFRESH_TOKEN.")
}

func TestKind(t *testing.T) {
	if Kind.Name != "shopee" || Kind.Config == nil || Kind.Open == nil || Kind.Profile.ComparesQuantities {
		t.Errorf("Kind %+v", Kind)
	}
	if l := (&Channel{}).Limits(); l.PageSize != 100 || l.BatchSize != 50 {
		t.Errorf("limits %+v", l)
	}
}

// The default pacing: the account's reads and writes at 10 calls a second.
func TestDefaultPacing(t *testing.T) {
	s := setupFor(t, goodConfig)
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.budget.Read.Rate(); float64(r.Limit) != 10 || r.Burst != 10 {
		t.Errorf("read pacing %+v", r)
	}
	if r := c.budget.Write.Rate(); float64(r.Limit) != 10 || r.Burst != 10 {
		t.Errorf("write pacing %+v", r)
	}
	if c.pause != time.Second {
		t.Errorf("pause %v", c.pause)
	}
}
