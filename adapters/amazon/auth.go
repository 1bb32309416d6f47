package amazon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// tokenSource exchanges the refresh token for Login with Amazon access
// tokens, which its cache keeps until a minute before they expire. The
// token is never logged nor put in an error.
type tokenSource struct {
	cfg  Config
	http *http.Client
	ua   string

	cache *apikit.Tokens
}

func newTokenSource(cfg Config, hc *http.Client, ua string) *tokenSource {
	s := &tokenSource{cfg: cfg, http: hc, ua: ua}
	s.cache = apikit.NewTokens(s.exchange, time.Now, apikit.TokenMargin)
	return s
}

// defaultExpiresIn is the lifetime assumed when the answer gives none (the
// SPM Python helper's default, LwaRequest.py).
const defaultExpiresIn = 1800 * time.Second

// get returns a valid access token, exchanging the refresh token when the
// cached one is missing or about to expire.
func (s *tokenSource) get(ctx context.Context) (string, error) { return s.cache.Get(ctx) }

// invalidate drops the cached token if it is still tok, so that the next
// get exchanges the refresh token again.
func (s *tokenSource) invalidate(tok string) { s.cache.Invalidate(tok) }

func (s *tokenSource) exchange(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {s.cfg.RefreshToken},
		"client_id":     {s.cfg.ClientID},
		"client_secret": {s.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("login with amazon: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("User-Agent", s.ua)
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		return "", 0, &adapters.TemporaryError{Message: "login with amazon: " + apikit.Scrub(err.Error(), s.cfg.RefreshToken, s.cfg.ClientSecret)}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, &adapters.TemporaryError{Message: "login with amazon: reading the answer: " + err.Error()}
	}
	ans, jsonErr := apikit.DecodeOAuth(body)
	switch {
	case resp.StatusCode == http.StatusOK && jsonErr == nil && ans.AccessToken != "":
		return ans.AccessToken, ans.Life(defaultExpiresIn), nil
	case resp.StatusCode == http.StatusOK:
		return "", 0, &adapters.BadResponseError{Message: fmt.Sprintf("login with amazon answered 200 with %d bytes of %s: %s", len(body), resp.Header.Get("Content-Type"), apikit.NoToken(jsonErr))}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", 0, &adapters.TemporaryError{Message: fmt.Sprintf("login with amazon: HTTP %d %s", resp.StatusCode, ans.Describe(jsonErr, apikit.Snippet(body, resp.Header)))}
	}
	// 400 invalid_grant (a revoked or wrong refresh token), 401
	// invalid_client...: a person must fix the credentials.
	return "", 0, &adapters.AuthError{Message: fmt.Sprintf("login with amazon refused the refresh token of seller %s (HTTP %d): %s", s.cfg.SellerID, resp.StatusCode, ans.Describe(jsonErr, apikit.Snippet(body, resp.Header)))}
}
