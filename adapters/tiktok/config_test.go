package tiktok

import (
	"errors"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
)

var testEnv = map[string]string{"TIKTOK_APP_KEY": "key", "TIKTOK_APP_SECRET": "secret-value", "TIKTOK_REFRESH_TOKEN": "refresh-value"}

const goodConfig = `
app_key       = env("TIKTOK_APP_KEY")
app_secret    = env("TIKTOK_APP_SECRET")
refresh_token = env("TIKTOK_REFRESH_TOKEN")
shop_cipher   = "ROW_cipher"
warehouse_id  = "7068517275539719942"
`

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(setupFor(t, goodConfig, testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != DefaultEndpoint || cfg.AuthEndpoint != DefaultAuthEndpoint || cfg.ShopCipher != "ROW_cipher" || cfg.WarehouseID != "7068517275539719942" {
		t.Errorf("config %+v", cfg)
	}
	if cfg.appSecret != "secret-value" || cfg.refreshToken != "refresh-value" || cfg.appKey != "key" {
		t.Error("credentials not read from env()")
	}
	if s := cfg.String(); strings.Contains(s, "secret-value") || strings.Contains(s, "refresh-value") {
		t.Errorf("String shows a credential: %s", s)
	}
	over, err := DecodeConfig(setupFor(t, goodConfig+`
endpoint      = "http://127.0.0.1:9/"
auth_endpoint = "http://127.0.0.1:8"
access_token  = env("TIKTOK_APP_KEY")
`, testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if over.Endpoint != "http://127.0.0.1:9" || over.AuthEndpoint != "http://127.0.0.1:8" || over.accessToken != "key" {
		t.Errorf("overrides: %+v", over)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ config, want string }{
		"secret inline":  {strings.Replace(goodConfig, `env("TIKTOK_APP_SECRET")`, `"inline-secret"`, 1), "app_secret is a secret"},
		"token inline":   {goodConfig + "access_token = \"ROW_inline\"\n", "access_token is a secret"},
		"endpoint":       {goodConfig + "endpoint = \"ftp://x\"\n", "not an http(s) URL"},
		"unknown":        {goodConfig + "shop_id = \"x\"\n", "Unsupported argument"},
		"missing":        {"shop_cipher = \"c\"\n", "Missing required argument"},
		"empty cipher":   {strings.Replace(goodConfig, `"ROW_cipher"`, `""`, 1), "shop_cipher is empty"},
		"empty warehose": {strings.Replace(goodConfig, `"7068517275539719942"`, `""`, 1), "warehouse_id is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeConfig(setupFor(t, tc.config, testEnv))
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
			if strings.Contains(err.Error(), "inline-secret") || strings.Contains(err.Error(), "ROW_inline") {
				t.Error("the error quotes the secret")
			}
		})
	}
}

// Without credentials, one diagnostic names every variable to set.
func TestConfigNamesEveryMissingVariable(t *testing.T) {
	_, err := DecodeConfig(setupFor(t, goodConfig, nil))
	var ce *adapters.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	want := "set TIKTOK_APP_KEY, TIKTOK_APP_SECRET, TIKTOK_REFRESH_TOKEN."
	if len(ce.Diags) != 1 || !strings.Contains(ce.Diags[0].Detail, want) {
		t.Errorf("diagnostics %v, want one saying %q", ce.Diags, want)
	}
}
