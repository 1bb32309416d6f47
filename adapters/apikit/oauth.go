package apikit

import (
	"encoding/json"
	"time"
)

// OAuthAnswer is the answer of an OAuth 2.0 token endpoint: a token
// (RFC 6749, section 5.1) or an error (section 5.2).
type OAuthAnswer struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        *int64 `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// DecodeOAuth reads body as an OAuthAnswer; the error is json's.
func DecodeOAuth(body []byte) (OAuthAnswer, error) {
	var a OAuthAnswer
	err := json.Unmarshal(body, &a)
	return a, err
}

// Life is how long the token lives: expires_in, or def when the answer
// gives none.
func (a OAuthAnswer) Life(def time.Duration) time.Duration {
	if a.ExpiresIn != nil && *a.ExpiresIn > 0 {
		return time.Duration(*a.ExpiresIn) * time.Second
	}
	return def
}

// Describe is what a refusal says: its error and error_description, or
// snippet when the answer is not JSON (jsonErr) or names no error.
func (a OAuthAnswer) Describe(jsonErr error, snippet string) string {
	if jsonErr == nil && a.Error != "" {
		if a.ErrorDescription != "" {
			return a.Error + ": " + a.ErrorDescription
		}
		return a.Error
	}
	return snippet
}

// NoToken says why a successful answer gave no token, without quoting the
// body (a truncated answer may hold part of a token): jsonErr, when it
// is not JSON, else no access_token.
func NoToken(jsonErr error) string {
	if jsonErr != nil {
		return "not JSON (" + jsonErr.Error() + ")"
	}
	return "no access_token"
}
