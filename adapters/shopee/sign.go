package shopee

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// shopBase is the base string of a shop API's signature (DOC API-calls.md
// "Signature calculation"): partner_id, the API path, the timestamp, the
// access token and the shop ID, concatenated without separators.
func shopBase(partnerID int64, path string, timestamp int64, accessToken string, shopID int64) string {
	return strconv.FormatInt(partnerID, 10) + path + strconv.FormatInt(timestamp, 10) + accessToken + strconv.FormatInt(shopID, 10)
}

// publicBase is the base string of a public API's signature (the token
// calls): partner_id, the API path and the timestamp.
func publicBase(partnerID int64, path string, timestamp int64) string {
	return strconv.FormatInt(partnerID, 10) + path + strconv.FormatInt(timestamp, 10)
}

// sign is the lowercase hex HMAC-SHA256 of base keyed with the partner key.
func sign(partnerKey, base string) string {
	m := hmac.New(sha256.New, []byte(partnerKey))
	m.Write([]byte(base))
	return hex.EncodeToString(m.Sum(nil))
}
