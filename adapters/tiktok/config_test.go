package tiktok

import (
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters/adaptertest"
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
			adaptertest.ConfigError(t, err, tc.want, "inline-secret", "ROW_inline")
		})
	}
}

// Without credentials, one diagnostic names every variable to set.
func TestConfigNamesEveryMissingVariable(t *testing.T) {
	_, err := DecodeConfig(setupFor(t, goodConfig, nil))
	adaptertest.MissingVariables(t, err, "set TIKTOK_APP_KEY, TIKTOK_APP_SECRET, TIKTOK_REFRESH_TOKEN.")
}
