package ebay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
// from the refresh token, or the application's) and keeps the current one
// until a minute before it expires. No token or secret is ever logged nor
// put in an error.
type tokenSource struct {
	cfg    Config
	http   *http.Client
	ua     string
	now    func() time.Time
	grant  string
	scopes []string

	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenMargin is how long before its expiry a token is no longer used.
const tokenMargin = time.Minute

// defaultExpiresIn is the lifetime assumed when the answer gives none (a
// user access token lives two hours: the OAuth client's documentation).
const defaultExpiresIn = 7200

// get returns a valid access token, exchanging the credentials when the
// cached one is missing or about to expire.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.now().Add(tokenMargin).Before(s.expires) {
		return s.token, nil
	}
	tok, life, err := s.exchange(ctx)
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, s.now().Add(life)
	return tok, nil
}

// invalidate drops the cached token if it is still tok, so that the next
// get exchanges the credentials again.
func (s *tokenSource) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.token = ""
	}
}

type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        *int64 `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

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
	var ta tokenAnswer
	jsonErr := json.Unmarshal(ans.Body, &ta)
	switch {
	case ans.Status == http.StatusOK && jsonErr == nil && ta.AccessToken != "":
		life := time.Duration(defaultExpiresIn) * time.Second
		if ta.ExpiresIn != nil && *ta.ExpiresIn > 0 {
			life = time.Duration(*ta.ExpiresIn) * time.Second
		}
		return ta.AccessToken, life, nil
	case ans.Status == http.StatusOK:
		// The body is not quoted: a truncated answer may hold part of a
		// token.
		why := "no access_token"
		if jsonErr != nil {
			why = "not JSON (" + jsonErr.Error() + ")"
		}
		return "", 0, &adapters.BadResponseError{Message: fmt.Sprintf("%s answered 200 with %d bytes of %s: %s", what, len(ans.Body), ans.Header.Get("Content-Type"), why)}
	case ans.Status >= 500 || ans.Status == http.StatusTooManyRequests:
		return "", 0, ans.Failure(what, false, scrub(describeOAuth(ta, jsonErr, ans), s.cfg))
	}
	// 400 invalid_grant (a revoked or expired refresh token), 401
	// invalid_client: a person must fix the credentials.
	return "", 0, &adapters.AuthError{Message: fmt.Sprintf("%s refused the credentials (HTTP %d): %s", what, ans.Status, scrub(describeOAuth(ta, jsonErr, ans), s.cfg))}
}

func describeOAuth(ta tokenAnswer, jsonErr error, ans *apikit.Answer) string {
	if jsonErr == nil && ta.Error != "" {
		if ta.ErrorDescription != "" {
			return ta.Error + ": " + ta.ErrorDescription
		}
		return ta.Error
	}
	return ans.Snippet()
}

// scrub takes the secrets of cfg out of s (a transport error may quote a
// URL, an answer may echo a form).
func scrub(s string, cfg Config) string {
	for _, secret := range []string{cfg.RefreshToken, cfg.ClientSecret, cfg.VerificationToken} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[secret]")
			s = strings.ReplaceAll(s, url.QueryEscape(secret), "[secret]")
		}
	}
	return s
}

// scrubErr scrubs the message of one of the failures of apikit.Do.
func scrubErr(err error, cfg Config) error {
	if te, ok := err.(*adapters.TemporaryError); ok { //nolint:errorlint // apikit.Do returns it unwrapped
		return &adapters.TemporaryError{Message: scrub(te.Message, cfg), Timeout: te.Timeout}
	}
	return err
}
