package ebay

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// The OAuth scopes the adapter asks for: the Inventory API's, the
// Fulfillment API's read scope (to read an order a notification names) and
// the application scope the Notification API's public keys need.
const (
	scopeInventory   = "https://api.ebay.com/oauth/api_scope/sell.inventory"
	scopeFulfillment = "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly"
	scopeApp         = "https://api.ebay.com/oauth/api_scope"
)

// The grants of the token endpoint.
const (
	grantRefresh = "refresh_token"
	grantClient  = "client_credentials"
)

// tokenSource exchanges the credentials for access tokens (the seller's
// from the refresh token, or the application's), which its cache keeps
// until a minute before they expire. No token or secret is ever logged nor
// put in an error.
type tokenSource struct {
	cfg    Config
	http   *http.Client
	ua     string
	grant  string
	scopes []string

	cache *apikit.Tokens
}

func newTokenSource(cfg Config, hc *http.Client, ua, grant string, scopes []string) *tokenSource {
	s := &tokenSource{cfg: cfg, http: hc, ua: ua, grant: grant, scopes: scopes}
	s.cache = apikit.NewTokens(s.exchange, time.Now, apikit.TokenMargin)
	return s
}

// defaultExpiresIn is the lifetime assumed when the answer gives none (a
// user access token lives two hours: the OAuth client's documentation).
const defaultExpiresIn = 7200 * time.Second

// get returns a valid access token, exchanging the credentials when the
// cached one is missing or about to expire.
func (s *tokenSource) get(ctx context.Context) (string, error) { return s.cache.Get(ctx) }

// invalidate drops the cached token if it is still tok, so that the next
// get exchanges the credentials again.
func (s *tokenSource) invalidate(tok string) { s.cache.Invalidate(tok) }

func (s *tokenSource) exchange(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {s.grant}, "scope": {strings.Join(s.scopes, " ")}}
	if s.grant == grantRefresh {
		form.Set("refresh_token", s.cfg.RefreshToken)
	}
	what := "eBay OAuth (" + s.grant + ")"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("%s: %s", what, scrub(err.Error(), s.cfg))
	}
	req.SetBasicAuth(s.cfg.ClientID, s.cfg.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", s.ua)
	ans, err := apikit.Do(ctx, s.http, what, req)
	if err != nil {
		return "", 0, scrubErr(err, s.cfg)
	}
	ta, jsonErr := apikit.DecodeOAuth(ans.Body)
	switch {
	case ans.Status == http.StatusOK && jsonErr == nil && ta.AccessToken != "":
		return ta.AccessToken, ta.Life(defaultExpiresIn), nil
	case ans.Status == http.StatusOK:
		return "", 0, &adapters.BadResponseError{Message: fmt.Sprintf("%s answered 200 with %d bytes of %s: %s", what, len(ans.Body), ans.Header.Get("Content-Type"), apikit.NoToken(jsonErr))}
	case ans.Status >= 500 || ans.Status == http.StatusTooManyRequests:
		return "", 0, ans.Failure(what, false, scrub(ta.Describe(jsonErr, ans.Snippet()), s.cfg))
	}
	// 400 invalid_grant (a revoked or expired refresh token), 401
	// invalid_client: a person must fix the credentials.
	return "", 0, &adapters.AuthError{Message: fmt.Sprintf("%s refused the credentials (HTTP %d): %s", what, ans.Status, scrub(ta.Describe(jsonErr, ans.Snippet()), s.cfg))}
}

// scrub takes the secrets of cfg out of s (a transport error may quote a
// URL, an answer may echo a form).
func scrub(s string, cfg Config) string {
	var secrets []string
	for _, secret := range []string{cfg.RefreshToken, cfg.ClientSecret, cfg.VerificationToken} {
		secrets = append(secrets, secret, url.QueryEscape(secret))
	}
	return apikit.Scrub(s, secrets...)
}

// scrubErr scrubs the message of one of the failures of apikit.Do.
func scrubErr(err error, cfg Config) error {
	return apikit.ScrubErr(err, func(s string) string { return scrub(s, cfg) })
}
