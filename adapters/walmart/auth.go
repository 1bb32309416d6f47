package walmart

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// tokenSource asks for client-credentials access tokens (POST /v3/token)
// and keeps the current one until a minute before it expires. Neither the
// token nor the credentials are logged or put in an error.
type tokenSource struct {
	c *Channel

	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenMargin is how long before its expiry a token is no longer used.
const tokenMargin = time.Minute

// defaultExpiresIn is the lifetime assumed when the answer gives none: the
// 15 minutes of the document's example.
const defaultExpiresIn = 900

// get returns a valid access token, asking for one when the cached one is
// missing or about to expire.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.c.now().Add(tokenMargin).Before(s.expires) {
		return s.token, nil
	}
	tok, life, err := s.exchange(ctx)
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, s.c.now().Add(life)
	return tok, nil
}

// invalidate drops the cached token if it is still tok.
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
	cfg := s.c.cfg
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.Endpoint+"/v3/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", 0, fmt.Errorf("walmart token: %w", err)
	}
	s.c.headers(req, "")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cfg.ClientID+":"+cfg.ClientSecret)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ans, err := apikit.Do(ctx, s.c.http, "walmart token", req)
	if err != nil {
		return "", 0, scrubErr(err, cfg)
	}
	var ta tokenAnswer
	jsonErr := json.Unmarshal(ans.Body, &ta)
	switch {
	case ans.OK() && jsonErr == nil && ta.AccessToken != "":
		life := time.Duration(defaultExpiresIn) * time.Second
		if ta.ExpiresIn != nil && *ta.ExpiresIn > 0 {
			life = time.Duration(*ta.ExpiresIn) * time.Second
		}
		return ta.AccessToken, life, nil
	case ans.OK():
		// Not quoted: a truncated answer may hold part of a token.
		why := "no access_token"
		if jsonErr != nil {
			why = "not JSON (" + jsonErr.Error() + ")"
		}
		return "", 0, &adapters.BadResponseError{Message: fmt.Sprintf("walmart token answered HTTP %d with %d bytes of %s: %s", ans.Status, len(ans.Body), ans.Header.Get("Content-Type"), why)}
	}
	var el errorList
	_ = json.Unmarshal(ans.Body, &el)
	detail := el.String()
	if ta.Error != "" {
		detail = strings.TrimSuffix(ta.Error+": "+ta.ErrorDescription, ": ")
	}
	if ans.Status == http.StatusBadRequest {
		// A refused grant: the credentials, for a person to fix.
		return "", 0, &adapters.AuthError{Message: scrub("walmart token: HTTP 400: "+orSnippet(detail, ans), cfg)}
	}
	return "", 0, scrubErr(ans.Failure("walmart token", false, detail), cfg)
}

// scrub takes the credentials out of s.
func scrub(s string, cfg Config) string {
	for _, secret := range []string{cfg.ClientSecret, cfg.ClientID, base64.StdEncoding.EncodeToString([]byte(cfg.ClientID + ":" + cfg.ClientSecret))} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[secret]")
		}
	}
	return s
}

// scrubErr rebuilds err's message without the credentials, keeping its type.
func scrubErr(err error, cfg Config) error {
	switch e := err.(type) { //nolint:errorlint // the failures of apikit are returned unwrapped
	case *adapters.TemporaryError:
		return &adapters.TemporaryError{Message: scrub(e.Message, cfg), Timeout: e.Timeout}
	case *adapters.AuthError:
		return &adapters.AuthError{Message: scrub(e.Message, cfg)}
	case *adapters.ThrottledError:
		return &adapters.ThrottledError{RetryAfter: e.RetryAfter, Message: scrub(e.Message, cfg)}
	case *adapters.RejectedError:
		return &adapters.AuthError{Message: scrub(e.Reason, cfg)}
	case *adapters.BadResponseError:
		return &adapters.BadResponseError{Message: scrub(e.Message, cfg)}
	}
	return err
}
