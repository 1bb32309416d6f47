package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
)

// tokenSource exchanges the refresh token for Login with Amazon access
// tokens and keeps the current one until a minute before it expires. The
// token is never logged nor put in an error.
type tokenSource struct {
	cfg  Config
	http *http.Client
	ua   string
	now  func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenMargin is how long before its expiry a token is no longer used.
const tokenMargin = time.Minute

// defaultExpiresIn is the lifetime assumed when the answer gives none (the
// SPM Python helper's default, LwaRequest.py).
const defaultExpiresIn = 1800

// get returns a valid access token, exchanging the refresh token when the
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
// get exchanges the refresh token again.
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
		return "", 0, &adapters.TemporaryError{Message: "login with amazon: " + scrub(err.Error(), s.cfg)}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, &adapters.TemporaryError{Message: "login with amazon: reading the answer: " + err.Error()}
	}
	var ans tokenAnswer
	jsonErr := json.Unmarshal(body, &ans)
	switch {
	case resp.StatusCode == http.StatusOK && jsonErr == nil && ans.AccessToken != "":
		life := time.Duration(defaultExpiresIn) * time.Second
		if ans.ExpiresIn != nil && *ans.ExpiresIn > 0 {
			life = time.Duration(*ans.ExpiresIn) * time.Second
		}
		return ans.AccessToken, life, nil
	case resp.StatusCode == http.StatusOK:
		// The body is not quoted: a truncated answer may hold part of a
		// token.
		why := "no access_token"
		if jsonErr != nil {
			why = "not JSON (" + jsonErr.Error() + ")"
		}
		return "", 0, &adapters.BadResponseError{Message: fmt.Sprintf("login with amazon answered 200 with %d bytes of %s: %s", len(body), resp.Header.Get("Content-Type"), why)}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", 0, &adapters.TemporaryError{Message: fmt.Sprintf("login with amazon: HTTP %d %s", resp.StatusCode, describeLWA(ans, jsonErr, body, resp.Header))}
	}
	// 400 invalid_grant (a revoked or wrong refresh token), 401
	// invalid_client...: a person must fix the credentials.
	return "", 0, &adapters.AuthError{Message: fmt.Sprintf("login with amazon refused the refresh token of seller %s (HTTP %d): %s", s.cfg.SellerID, resp.StatusCode, describeLWA(ans, jsonErr, body, resp.Header))}
}

func describeLWA(ans tokenAnswer, jsonErr error, body []byte, h http.Header) string {
	if jsonErr == nil && ans.Error != "" {
		if ans.ErrorDescription != "" {
			return ans.Error + ": " + ans.ErrorDescription
		}
		return ans.Error
	}
	return snippet(body, h)
}

// scrub takes the secrets of cfg out of s (a transport error may quote a
// URL).
func scrub(s string, cfg Config) string {
	for _, secret := range []string{cfg.RefreshToken, cfg.ClientSecret} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[secret]")
		}
	}
	return s
}
