package lazada

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// tokenMargin is how long before its expiry an access token is refreshed:
// Lazada recommends 30 minutes.
const tokenMargin = 30 * time.Minute

// tokenSource keeps the seller's access token and refreshes it with the
// refresh token, which Lazada rotates on every refresh: the new one is
// kept in memory and, with token_file, on disk, so that a restart does
// not go back to a refresh token already spent. Tokens are never logged
// nor put in an error.
//
// Other processes on the same spec (a daemon and a person's plan) share
// token_file: a refresh takes the lock file beside it, reads it again,
// and refreshes only if the tokens it holds (another process's, when
// newer than this one's) need it, then writes it and lets go.
type tokenSource struct {
	c *Channel
	// busy, when not nil, is called when another holder of the lock
	// file makes a refresh wait (tests).
	busy func()

	mu         sync.Mutex
	access     string
	accessExp  time.Time // zero: unknown, used until refused
	refresh    string
	refreshExp time.Time
	// refused is the access token Lazada last refused: the token file may
	// still hold it.
	refused string
	// warned is set once the missing token_file has been logged.
	warned bool
}

// tokenFile is what token_file holds.
type tokenFile struct {
	// Configured is the SHA-256 of the refresh token of the config the
	// file was derived from: a config given a new one (the seller
	// authorized again) no longer reads the file.
	Configured     string    `json:"configured"`
	AccessToken    string    `json:"access_token"`
	AccessExpires  time.Time `json:"access_expires"`
	RefreshToken   string    `json:"refresh_token"`
	RefreshExpires time.Time `json:"refresh_expires"`
}

func newTokenSource(c *Channel) *tokenSource {
	return &tokenSource{c: c, access: c.cfg.AccessToken, refresh: c.cfg.RefreshToken}
}

func configuredHash(cfg Config) string {
	sum := sha256.Sum256([]byte(cfg.RefreshToken))
	return hex.EncodeToString(sum[:])
}

// load reads token_file, when there is one and it was derived from the
// configured refresh token.
func (s *tokenSource) load() error {
	cfg := s.c.cfg
	if cfg.TokenFile == "" {
		return nil
	}
	f, err := s.read()
	if f == nil || err != nil {
		return err
	}
	s.access, s.accessExp = f.AccessToken, f.AccessExpires
	s.refresh, s.refreshExp = f.RefreshToken, f.RefreshExpires
	return nil
}

// read reads token_file: nil when it is missing or was derived from
// another configured refresh token.
func (s *tokenSource) read() (*tokenFile, error) {
	cfg := s.c.cfg
	raw, err := os.ReadFile(cfg.TokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("channel %s: token_file: %w", s.c.name, err)
	}
	var f tokenFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("channel %s: token_file %s is not the JSON accord writes: %w", s.c.name, cfg.TokenFile, err)
	}
	if f.Configured != configuredHash(cfg) || f.RefreshToken == "" {
		return nil, nil
	}
	return &f, nil
}

// reload adopts token_file's tokens when another process wrote newer ones
// than those in memory: other tokens, grown from the same configured
// refresh token, whose access token expires no earlier. It reports
// whether it did. s.mu is held.
func (s *tokenSource) reload() bool {
	f, err := s.read()
	switch {
	case err != nil:
		s.c.log.Warn("could not read token_file again: keeping the tokens in memory", "channel", s.c.name, "error", err.Error())
		return false
	case f == nil:
		return false
	case f.AccessToken == s.access && f.RefreshToken == s.refresh:
		return false
	case !s.accessExp.IsZero() && f.AccessExpires.Before(s.accessExp):
		return false
	}
	s.access, s.accessExp = f.AccessToken, f.AccessExpires
	s.refresh, s.refreshExp = f.RefreshToken, f.RefreshExpires
	return true
}

// save writes the tokens to token_file, replacing it whole.
func (s *tokenSource) save() error {
	cfg := s.c.cfg
	//nolint:gosec // G117: token_file exists to keep the rotated tokens; it is written 0600 (see save)
	raw, err := json.MarshalIndent(tokenFile{
		Configured: configuredHash(cfg), AccessToken: s.access, AccessExpires: s.accessExp,
		RefreshToken: s.refresh, RefreshExpires: s.refreshExp,
	}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(cfg.TokenFile), ".lazada-token-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(raw, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), cfg.TokenFile); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// get returns an access token, refreshing it when there is none or it
// expires within tokenMargin.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fresh() {
		return s.access, nil
	}
	if err := s.renew(ctx); err != nil {
		return "", err
	}
	return s.access, nil
}

// fresh reports whether the access token may be used: there is one, Lazada
// did not refuse it, and it does not expire within tokenMargin. s.mu is
// held.
func (s *tokenSource) fresh() bool {
	return s.access != "" && s.access != s.refused &&
		(s.accessExp.IsZero() || s.c.clock().Add(tokenMargin).Before(s.accessExp))
}

// invalidate drops the access token if it is still tok: the next get
// refreshes.
func (s *tokenSource) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access == tok {
		s.access, s.refused = "", tok
	}
}

// renew gets an access token that is fresh. With token_file, it holds
// the lock file while it reads the file again, which another process may
// have refreshed meanwhile, and refreshes only when those tokens are not
// fresh either. A refresh refused (the refresh token spent by a process
// that did not take the lock) reads the file once more. s.mu is held.
func (s *tokenSource) renew(ctx context.Context) error {
	c := s.c
	if c.cfg.TokenFile == "" {
		return s.refreshLocked(ctx)
	}
	unlock, err := apikit.LockFile(ctx, c.cfg.TokenFile+".lock", s.busy)
	switch {
	case err != nil && ctx.Err() != nil:
		return err
	case err != nil:
		c.log.Warn("could not lock token_file: refreshing without keeping other processes out", "channel", c.name, "error", err.Error())
	default:
		defer unlock()
	}
	if s.reload() && s.fresh() {
		return nil
	}
	err = s.refreshLocked(ctx)
	if auth := (*adapters.AuthError)(nil); !errors.As(err, &auth) || !s.reload() {
		return err
	}
	if s.fresh() {
		return nil
	}
	return s.refreshLocked(ctx)
}

// refreshAnswer is /auth/token/refresh's answer (top level, beside the
// envelope's code).
type refreshAnswer struct {
	AccessToken      string     `json:"access_token"`
	RefreshToken     string     `json:"refresh_token"`
	ExpiresIn        flexString `json:"expires_in"`
	RefreshExpiresIn flexString `json:"refresh_expires_in"`
}

func (s *tokenSource) refreshLocked(ctx context.Context) error {
	c := s.c
	if s.refresh == "" {
		return &adapters.AuthError{Message: fmt.Sprintf("channel %s: Lazada refused the access token and no refresh_token is configured to get another", c.name)}
	}
	now := c.clock()
	if !s.refreshExp.IsZero() && !now.Before(s.refreshExp) {
		return &adapters.AuthError{Message: fmt.Sprintf("channel %s: the refresh token expired at %s: the seller must authorize the app again", c.name, s.refreshExp.Format(time.RFC3339))}
	}
	p := url.Values{"refresh_token": {s.refresh}}
	env, err := c.send(ctx, c.cfg.AuthEndpoint, opRefreshToken, p)
	if err != nil {
		var tmp *adapters.TemporaryError
		var thr *adapters.ThrottledError
		var bad *adapters.BadResponseError
		if errors.As(err, &tmp) || errors.As(err, &thr) || errors.As(err, &bad) || ctx.Err() != nil {
			return err
		}
		// Anything else refuses the refresh token: a person must
		// authorize the app again.
		return &adapters.AuthError{Message: scrub("refreshing the access token: "+err.Error(), c.cfg, s.refresh)}
	}
	return s.adopt(env, now)
}

// adopt takes the tokens of a refresh answer.
func (s *tokenSource) adopt(env *envelope, now time.Time) error {
	c := s.c
	var ans refreshAnswer
	if err := json.Unmarshal(env.raw, &ans); err != nil || ans.AccessToken == "" {
		why := "no access_token"
		if err != nil {
			why = err.Error()
		}
		return &adapters.BadResponseError{Message: "RefreshToken answered code 0 without the tokens: " + why}
	}
	s.access = ans.AccessToken
	s.accessExp = expiry(now, ans.ExpiresIn)
	if ans.RefreshToken != "" && ans.RefreshToken != s.refresh {
		s.refresh = ans.RefreshToken
		s.refreshExp = expiry(now, ans.RefreshExpiresIn)
		if c.cfg.TokenFile == "" {
			if !s.warned {
				s.warned = true
				c.log.Warn("Lazada rotated the refresh token; without token_file the new one lives only as long as this process", "channel", c.name)
			}
			return nil
		}
	}
	if c.cfg.TokenFile != "" {
		if err := s.save(); err != nil {
			// The tokens are still good in memory; a restart will need a
			// refresh token that works.
			c.log.Warn("could not write token_file", "channel", c.name, "error", err.Error())
		}
	}
	return nil
}

// expiry is now plus a lifetime in seconds; zero when there is none.
func expiry(now time.Time, secs flexString) time.Time {
	var n int64
	if _, err := fmt.Sscan(string(secs), &n); err != nil || n <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(n) * time.Second)
}
