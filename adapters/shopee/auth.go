package shopee

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// tokenSource holds the shop's access and refresh tokens and rotates them:
// Shopee's refresh token is single-use, so every refresh hands out a new
// pair that must replace the old one, in the token file when there is one.
// No token is ever logged nor put in an error.
//
// Other processes on the same spec (a daemon and a person's plan) share
// the token file: a refresh takes the lock file beside it, reads it
// again, and refreshes only if the pair it holds (another process's,
// when newer than this one's) needs it, then writes it and lets go.
type tokenSource struct {
	c    *Channel
	cfg  Config
	file string
	log  logger
	// busy, when not nil, is called when another holder of the lock
	// file makes a refresh wait (tests).
	busy func()

	mu         sync.Mutex
	access     string
	refreshTok string
	// expires is when the access token expires; zero when unknown (the
	// tokens came from the environment).
	expires time.Time
	warned  bool
}

// tokenMargin is how long before its expiry an access token is refreshed.
const tokenMargin = time.Minute

// tokenFile is the token file's content.
type tokenFile struct {
	// Configured is the SHA-256 of the config's refresh token the file
	// was derived from: once the seller authorises again and the
	// environment holds a new one, the file is no longer read.
	Configured   string    `json:"configured"`
	PartnerID    int64     `json:"partner_id"`
	ShopID       int64     `json:"shop_id"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// newTokenSource starts from the token file when it holds the tokens of
// this shop, else from the config's (the environment's).
func newTokenSource(c *Channel, cfg Config, log logger) (*tokenSource, error) {
	s := &tokenSource{c: c, cfg: cfg, file: cfg.TokenFile, log: log, access: cfg.AccessToken, refreshTok: cfg.RefreshToken}
	if s.file == "" {
		return s, nil
	}
	raw, err := os.ReadFile(s.file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("channel %s: reading the token file: %w", c.name, err)
	}
	tf, ok := parseTokenFile(raw)
	if !ok {
		return nil, fmt.Errorf("channel %s: the token file %s is not one accord wrote: delete it to start again from the environment's tokens", c.name, s.file)
	}
	if tf.ShopID != cfg.ShopID || tf.PartnerID != cfg.PartnerID {
		log.Warn("the token file holds another shop's tokens: using the environment's", "file", s.file, "shop_id", tf.ShopID)
		return s, nil
	}
	if tf.Configured != configuredHash(cfg.RefreshToken) {
		log.Warn("the environment holds a new refresh token (the shop was authorised again): using it, not the token file's", "file", s.file)
		return s, nil
	}
	s.access, s.refreshTok, s.expires = tf.AccessToken, tf.RefreshToken, tf.ExpiresAt
	return s, nil
}

// parseTokenFile decodes a token file; false when it is not one accord
// wrote.
func parseTokenFile(raw []byte) (tokenFile, bool) {
	var tf tokenFile
	if err := json.Unmarshal(raw, &tf); err != nil || tf.AccessToken == "" || tf.RefreshToken == "" {
		return tokenFile{}, false
	}
	return tf, true
}

// reload adopts the token file's pair when another process wrote one
// newer than the pair in memory: of this shop, grown from the same
// configured refresh token, another pair, expiring no earlier. It reports
// whether it did. s.mu is held.
func (s *tokenSource) reload() bool {
	raw, err := os.ReadFile(s.file)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		s.log.Warn("could not read the token file again", "file", s.file, "error", err.Error())
		return false
	}
	tf, ok := parseTokenFile(raw)
	switch {
	case !ok:
		s.log.Warn("the token file is not one accord wrote: keeping the tokens in memory", "file", s.file)
		return false
	case tf.ShopID != s.cfg.ShopID || tf.PartnerID != s.cfg.PartnerID || tf.Configured != configuredHash(s.cfg.RefreshToken):
		return false
	case tf.AccessToken == s.access && tf.RefreshToken == s.refreshTok:
		return false
	case !s.expires.IsZero() && tf.ExpiresAt.Before(s.expires):
		return false
	}
	s.access, s.refreshTok, s.expires = tf.AccessToken, tf.RefreshToken, tf.ExpiresAt
	return true
}

// stale reports whether the access token needs a refresh: it is refused,
// or known to expire within tokenMargin. s.mu is held.
func (s *tokenSource) stale(refused string) bool {
	if refused != "" && s.access == refused {
		return true
	}
	return !s.expires.IsZero() && !s.c.wall().Add(tokenMargin).Before(s.expires)
}

// current is the tokens in use, for scrubbing.
func (s *tokenSource) current() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return []string{s.access, s.refreshTok}
}

// get returns the access token, refreshing it first when it is known to
// have expired.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale("") {
		if err := s.renew(ctx, ""); err != nil {
			return "", err
		}
	}
	return s.access, nil
}

// refresh replaces the access token used, unless another call did already.
func (s *tokenSource) refresh(ctx context.Context, used string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != used {
		return nil
	}
	return s.renew(ctx, used)
}

// renew gets a pair whose access token is not refused nor expiring. With a
// token file, it holds the lock file while it reads the file again, which
// another process may have refreshed meanwhile, and refreshes only when
// that pair is stale too. A refresh refused (the refresh token spent by a
// process that did not take the lock) reads the file once more. s.mu is
// held.
func (s *tokenSource) renew(ctx context.Context, refused string) error {
	if s.file == "" {
		return s.exchange(ctx)
	}
	unlock, err := apikit.LockFile(ctx, s.file+".lock", s.busy)
	switch {
	case err != nil && ctx.Err() != nil:
		return err
	case err != nil:
		s.log.Warn("could not lock the token file: refreshing without keeping other processes out", "file", s.file+".lock", "error", err.Error())
	default:
		defer unlock()
	}
	if s.reload() && !s.stale(refused) {
		return nil
	}
	err = s.exchange(ctx)
	if auth := (*adapters.AuthError)(nil); !errors.As(err, &auth) || !s.reload() {
		return err
	}
	if !s.stale(refused) {
		return nil
	}
	return s.exchange(ctx)
}

// tokenAnswer is v2.public.refresh_access_token's answer (REF).
type tokenAnswer struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	ExpireIn     json.Number `json:"expire_in"`
	RequestID    string      `json:"request_id"`
	Error        string      `json:"error"`
	Message      string      `json:"message"`
}

// defaultExpireIn is the access token's life when the answer does not say
// (DOC: 4 hours).
const defaultExpireIn = 4 * time.Hour

// exchange spends the refresh token for a new pair. s.mu is held.
func (s *tokenSource) exchange(ctx context.Context) error {
	c := s.c
	raw, err := json.Marshal(struct { //nolint:gosec // G117: sending the refresh token is this call's purpose
		RefreshToken string `json:"refresh_token"`
		PartnerID    int64  `json:"partner_id"`
		ShopID       int64  `json:"shop_id"`
	}{s.refreshTok, c.cfg.PartnerID, c.cfg.ShopID})
	if err != nil {
		return fmt.Errorf("refreshing the access token: %w", err)
	}
	req, err := c.request(ctx, apiRefreshToken, nil, raw, "")
	if err != nil {
		return err
	}
	ans, err := apikit.Do(ctx, c.http, "refreshing the access token", req)
	if err != nil {
		return err
	}
	var ta tokenAnswer
	jerr := json.Unmarshal(ans.Body, &ta)
	switch {
	case jerr != nil && ans.OK():
		// The body is not quoted: a truncated answer may hold part of a
		// token.
		return &adapters.BadResponseError{Message: fmt.Sprintf("refreshing the access token: HTTP %d with %d bytes that are not JSON (%s)", ans.Status, len(ans.Body), jerr)}
	case jerr != nil:
		return ans.Failure("refreshing the access token", true, fmt.Sprintf("%d bytes of %s", len(ans.Body), ans.Header.Get("Content-Type")))
	case ta.Error != "" || !ans.OK() || ta.AccessToken == "" || ta.RefreshToken == "":
		env := envelope{Error: ta.Error, Message: ta.Message, RequestID: ta.RequestID}
		switch {
		case ans.Status >= 500 || env.code() == "error_server" || env.code() == "error_inner" || env.code() == "error_network":
			return &adapters.TemporaryError{Message: fmt.Sprintf("refreshing the access token: HTTP %d: %s", ans.Status, env.describe())}
		case ans.Status == 429 || env.throttled():
			return &adapters.ThrottledError{RetryAfter: apikit.RetryAfter(ans.Header), Message: "refreshing the access token: " + env.describe()}
		case ta.Error == "" && ans.OK():
			return &adapters.BadResponseError{Message: "refreshing the access token: the answer has no access_token or refresh_token"}
		}
		return &adapters.AuthError{Message: fmt.Sprintf("Shopee refused the refresh token of shop %d (HTTP %d: %s): authorise the app again and set new tokens",
			c.cfg.ShopID, ans.Status, env.describe())}
	}
	life := defaultExpireIn
	if n, err := ta.ExpireIn.Int64(); err == nil && n > 0 {
		life = time.Duration(n) * time.Second
	}
	s.access, s.refreshTok, s.expires = ta.AccessToken, ta.RefreshToken, c.wall().Add(life)
	s.save()
	return nil
}

// save keeps the new pair in the token file, or warns once that only this
// process holds it. s.mu is held.
func (s *tokenSource) save() {
	if s.file == "" {
		if !s.warned {
			s.warned = true
			s.log.Warn("Shopee rotated the shop's tokens; without token_file the new ones live in memory only, " +
				"and a restart will need fresh tokens from Shopee's authorisation flow")
		}
		return
	}
	raw, err := json.MarshalIndent(tokenFile{ //nolint:gosec // G117: the token file keeps the tokens, mode 0600

		Configured: configuredHash(s.c.cfg.RefreshToken), PartnerID: s.c.cfg.PartnerID, ShopID: s.c.cfg.ShopID,
		AccessToken: s.access, RefreshToken: s.refreshTok, ExpiresAt: s.expires.UTC(),
	}, "", "  ")
	if err == nil {
		err = writeFileAtomic(s.file, append(raw, '\n'))
	}
	if err != nil {
		s.log.Warn("could not keep the rotated tokens in the token file: a restart will need fresh tokens",
			"file", s.file, "error", err.Error())
	}
}

// configuredHash is the SHA-256 of a refresh token, hex: what a token file
// keeps of the config's token, never the token itself.
func configuredHash(refresh string) string {
	sum := sha256.Sum256([]byte(refresh))
	return hex.EncodeToString(sum[:])
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file in the same directory, so that a crash leaves the old file or the
// new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() { _ = os.Remove(name) }()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}
