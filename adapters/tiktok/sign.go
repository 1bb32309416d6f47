package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Sign is the sign query parameter of a request (partner doc page 274638;
// see the package comment): every query parameter but sign and
// access_token, sorted by key and written {key}{value}, after the path and
// before the raw body, wrapped in secret, as the lowercase hex HMAC-SHA256
// keyed with secret. A parameter given several times is signed with its
// values joined by commas, as it is sent. The fake signs with it too.
func Sign(secret, path string, query url.Values, body []byte) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k == "sign" || k == "access_token" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(secret)
	b.WriteString(path)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(strings.Join(query[k], ","))
	}
	b.Write(body)
	b.WriteString(secret)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(b.String()))
	return hex.EncodeToString(m.Sum(nil))
}

// WebhookSignature is the Authorization header TikTok sends with a webhook
// (EcomPHP src/Webhook.php verify): the lowercase hex HMAC-SHA256 of
// app_key followed by the raw body, keyed with app_secret.
func WebhookSignature(appKey, appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(appKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
