package walmart

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// tokenSource asks for client-credentials access tokens (POST /v3/token),
// which its cache keeps until a minute before they expire. Neither the
// token nor the credentials are logged or put in an error.
type tokenSource struct {
	c     *Channel
	cache *apikit.Tokens
}

func newTokenSource(c *Channel) *tokenSource {
	s := &tokenSource{c: c}
	s.cache = apikit.NewTokens(s.exchange, func() time.Time { return c.now() }, apikit.TokenMargin)
	return s
}

// defaultExpiresIn is the lifetime assumed when the answer gives none: the
// 15 minutes of the document's example.
const defaultExpiresIn = 900 * time.Second

// get returns a valid access token, asking for one when the cached one is
// missing or about to expire.
func (s *tokenSource) get(ctx context.Context) (string, error) { return s.cache.Get(ctx) }

// invalidate drops the cached token if it is still tok.
func (s *tokenSource) invalidate(tok string) { s.cache.Invalidate(tok) }

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
	ta, jsonErr := apikit.DecodeOAuth(ans.Body)
	switch {
	case ans.OK() && jsonErr == nil && ta.AccessToken != "":
		return ta.AccessToken, ta.Life(defaultExpiresIn), nil
	case ans.OK():
		return "", 0, &adapters.BadResponseError{Message: fmt.Sprintf("walmart token answered HTTP %d with %d bytes of %s: %s", ans.Status, len(ans.Body), ans.Header.Get("Content-Type"), apikit.NoToken(jsonErr))}
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
	return apikit.Scrub(s, cfg.ClientSecret, cfg.ClientID, base64.StdEncoding.EncodeToString([]byte(cfg.ClientID+":"+cfg.ClientSecret)))
}

// scrubErr rebuilds err's message without the credentials, keeping its
// type but for a rejection, which refuses the credentials.
func scrubErr(err error, cfg Config) error {
	err = apikit.ScrubErr(err, func(s string) string { return scrub(s, cfg) })
	if e, ok := err.(*adapters.RejectedError); ok { //nolint:errorlint // apikit.ScrubErr returns it unwrapped
		return &adapters.AuthError{Message: e.Reason}
	}
	return err
}
