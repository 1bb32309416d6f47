package tiktok

import (
	"net/url"
	"testing"
)

func TestSign(t *testing.T) {
	for name, tc := range map[string]struct {
		secret, path string
		query        url.Values
		body         string
		want         string
	}{
		// EcomPHP tests/ClientTest.php testPrepareSignature.
		"published vector": {"app_secret", "/test-api", url.Values{"foo": {"bar"}}, "",
			"d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"},
		// sign and access_token are not signed.
		"unsigned parameters": {"app_secret", "/test-api", url.Values{"foo": {"bar"}, "sign": {"x"}, "access_token": {"y"}}, "",
			"d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"},
		// Keys sorted, the raw body after them (worked out with Python's
		// hmac from the steps of the package comment).
		"with a body": {"s", "/product/202309/products/9/inventory/update",
			url.Values{"timestamp": {"1700000000"}, "shop_cipher": {"c"}, "app_key": {"k"}},
			`{"skus":[{"id":"1","inventory":[{"warehouse_id":"w","quantity":3}]}]}`,
			"9d9d3aea91d6d882d1a7da1a0671487388e60e93031458391835c0724c263990"},
	} {
		t.Run(name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			if got := Sign(tc.secret, tc.path, tc.query, body); got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

// EcomPHP tests/WebhookTest.php: its sample delivery, signed as testVerify
// signs it (worked out with Python's hmac).
func TestWebhookSignature(t *testing.T) {
	body := `{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}`
	const want = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
	if got := WebhookSignature("fake_app_key", "fake_app_secret", []byte(body)); got != want {
		t.Errorf("WebhookSignature = %s, want %s", got, want)
	}
}
