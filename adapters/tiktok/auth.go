package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// tokenSource refreshes the shop's access token with the refresh token;
// its cache keeps the token until a minute before it expires. A token
// given in the config is used until TikTok says it expired. Tokens and
// secrets are never logged nor put in an error.
type tokenSource struct {
	cfg  Config
	http *http.Client
	ua   string
	now  func() time.Time
	// refresh is the refresh token to use: the config's, then the one
	// each refresh answers with. The cache's lock guards it.
	refresh string

	cache *apikit.Tokens
}

func newTokenSource(cfg Config, hc *http.Client, ua string, now func() time.Time) *tokenSource {
	s := &tokenSource{cfg: cfg, http: hc, ua: ua, now: now}
	s.cache = apikit.NewTokens(s.renew, now, apikit.TokenMargin)
	s.cache.Seed(cfg.accessToken)
	return s
}

// get returns a valid access token, refreshing it when there is none or it
// is about to expire.
func (s *tokenSource) get(ctx context.Context) (string, error) { return s.cache.Get(ctx) }

// invalidate drops the cached token if it is still tok, so that the next
// get refreshes it.
func (s *tokenSource) invalidate(tok string) { s.cache.Invalidate(tok) }

// renew is the cache's exchange: a refresh, keeping the refresh token it
// answers with.
func (s *tokenSource) renew(ctx context.Context) (string, time.Duration, error) {
	if s.refresh == "" {
		s.refresh = s.cfg.refreshToken
	}
	ans, err := s.exchange(ctx)
	if err != nil {
		return "", 0, err
	}
	if ans.RefreshToken != "" {
		s.refresh = ans.RefreshToken
	}
	now := s.now()
	return ans.AccessToken, expiry(ans.AccessTokenExpireIn, now).Sub(now), nil
}

// expiry reads access_token_expire_in: a Unix time in every answer on
// record; a small number is taken as seconds from now, and none as a day.
func expiry(v int64, now time.Time) time.Time {
	switch {
	case v <= 0:
		return now.Add(24 * time.Hour)
	case v < 1e9:
		return now.Add(time.Duration(v) * time.Second)
	}
	return time.Unix(v, 0)
}

// tokenData is the data of a token answer.
type tokenData struct {
	AccessToken         string `json:"access_token"`
	AccessTokenExpireIn int64  `json:"access_token_expire_in"`
	RefreshToken        string `json:"refresh_token"`
}

// envelope is every answer's shape.
type envelope struct {
	Code      int64           `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

func (s *tokenSource) exchange(ctx context.Context) (tokenData, error) {
	const op = "token refresh"
	q := url.Values{
		"app_key":       {s.cfg.appKey},
		"app_secret":    {s.cfg.appSecret},
		"refresh_token": {s.refresh},
		"grant_type":    {"refresh_token"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.AuthEndpoint+"/api/v2/token/refresh?"+q.Encode(), http.NoBody)
	if err != nil {
		return tokenData{}, fmt.Errorf("%s: %s", op, s.scrub(err.Error()))
	}
	req.Header.Set("User-Agent", s.ua)
	req.Header.Set("Accept", "application/json")
	ans, err := apikit.Do(ctx, s.http, op, req)
	if err != nil {
		// A transport error quotes the URL, secrets and all.
		return tokenData{}, apikit.ScrubErr(err, s.scrub)
	}
	var env envelope
	jsonErr := json.Unmarshal(ans.Body, &env)
	switch {
	case ans.Status == http.StatusTooManyRequests || ans.Status >= 500:
		return tokenData{}, ans.Failure(op, false, s.scrub(describe(env, jsonErr, ans)))
	case jsonErr != nil:
		// The body is not quoted: a truncated answer may hold part of a
		// token.
		return tokenData{}, &adapters.BadResponseError{Message: fmt.Sprintf("%s answered HTTP %d with %d bytes of %s that are not JSON: %s",
			op, ans.Status, len(ans.Body), ans.Header.Get("Content-Type"), jsonErr)}
	case env.Code != 0 || !ans.OK():
		// A revoked or expired refresh token, a wrong app secret: a person
		// must fix the credentials.
		return tokenData{}, &adapters.AuthError{Message: fmt.Sprintf("%s refused the refresh token of shop %s (HTTP %d): %s", op, s.cfg.ShopCipher, ans.Status, s.scrub(describe(env, nil, ans)))}
	}
	var data tokenData
	if err := json.Unmarshal(env.Data, &data); err != nil || data.AccessToken == "" {
		return tokenData{}, &adapters.BadResponseError{Message: op + " answered code 0 without an access_token"}
	}
	return data, nil
}

// scrub takes the credentials out of s.
func (s *tokenSource) scrub(msg string) string {
	return scrub(msg, s.cfg.appSecret, s.cfg.refreshToken, s.refresh, s.cfg.accessToken, url.QueryEscape(s.cfg.appSecret), url.QueryEscape(s.cfg.refreshToken), url.QueryEscape(s.refresh))
}

// scrub replaces every secret in msg.
func scrub(msg string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) >= 4 {
			msg = strings.ReplaceAll(msg, secret, "[secret]")
		}
	}
	return msg
}

// describe is what an answer says: its code and message, or the start of
// a body that is not the envelope.
func describe(env envelope, jsonErr error, ans *apikit.Answer) string {
	if jsonErr == nil && (env.Code != 0 || env.Message != "") {
		s := fmt.Sprintf("code %d: %s", env.Code, env.Message)
		if env.RequestID != "" {
			s += " (request " + env.RequestID + ")"
		}
		return s
	}
	return ans.Snippet()
}
