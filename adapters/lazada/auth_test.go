package lazada

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

// noSecret fails when err's text quotes a credential or a token.
func noSecret(t *testing.T, err error) {
	t.Helper()
	adaptertest.NoSecret(t, err, lazadatest.AppSecret, "fake-access-token", "fake-refresh-token")
}

func TestExpiredTokenRefreshedOnceAndRotated(t *testing.T) {
	f, c, ls := seeded(t, 2, "")
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 0 {
		t.Fatalf("%d refreshes with a good access token", f.TokenCalls())
	}
	f.ExpireTokens()
	got := adaptertest.ObserveAll(t, c, []string{ls[0].SKU})
	if f.TokenCalls() != 1 || len(got) != 1 {
		t.Errorf("after the token expired: %d refreshes, %d listings; want one refresh and the read", f.TokenCalls(), len(got))
	}
	if f.CurrentRefreshToken() == lazadatest.RefreshToken {
		t.Fatal("the fake did not rotate the refresh token")
	}
	// The rotated refresh token is the one used next time.
	f.ExpireTokens()
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 2 {
		t.Errorf("%d refreshes after a second expiry, want 2", f.TokenCalls())
	}
}

func TestRefreshRefused(t *testing.T) {
	f, c, ls := seeded(t, 1, "")
	f.ExpireTokens()
	f.RefuseRefresh(true)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "IllegalRefreshToken") {
		t.Errorf("a refused refresh token: %v, want an *AuthError saying IllegalRefreshToken", err)
	}
	noSecret(t, err)
	rs := c.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(3)}})
	if !errors.As(rs[0].Err, &auth) {
		t.Errorf("apply with a refused refresh token: %v", rs[0].Err)
	}
	noSecret(t, rs[0].Err)
}

// An access token refused twice (refreshed, then refused again) is a
// person's problem, not a loop.
func TestAccessTokenRefusedAfterRefresh(t *testing.T) {
	f, c, _ := seeded(t, 1, "")
	f.FailCode("/products/get", "IllegalAccessToken", "ISV", "The specified access token is invalid or expired")
	f.FailCode("/products/get", "IllegalAccessToken", "ISV", "The specified access token is invalid or expired")
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || f.TokenCalls() != 1 || f.Calls("/products/get") != 2 {
		t.Errorf("refused twice: %v after %d refreshes and %d reads", err, f.TokenCalls(), f.Calls("/products/get"))
	}
	noSecret(t, err)
}

func TestNoAccessTokenConfigured(t *testing.T) {
	f := newFake(t)
	s := setupFor(t, strings.Replace(f.Config(""), `access_token  = env("LAZADA_ACCESS_TOKEN")`, "", 1))
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.ObserveAll(t, c, nil)
	if f.TokenCalls() != 1 {
		t.Errorf("%d refreshes without an access token, want 1", f.TokenCalls())
	}
	// Only an access token, refused: nothing to refresh with.
	f2 := newFake(t)
	s = setupFor(t, strings.Replace(f2.Config(""), `refresh_token = env("LAZADA_REFRESH_TOKEN")`, "", 1))
	s.HTTPClient = f2.Client()
	c2, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	f2.ExpireTokens()
	err = c2.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "no refresh_token") {
		t.Errorf("an expired access token without a refresh token: %v", err)
	}
}

// token_file keeps the rotated refresh token: a restarted adapter uses it,
// where the configured one was spent; a config given a new refresh token
// (the seller authorized again) does not read the stale file.
func TestTokenFile(t *testing.T) {
	f := newFake(t)
	f.Seed(nil)
	dir := t.TempDir()
	extra := `token_file = "` + filepath.Join(dir, "lazada-tokens.json") + `"`
	c := f.open(t, extra, nil)
	f.ExpireTokens()
	adaptertest.ObserveAll(t, c, nil)
	raw, err := os.ReadFile(filepath.Join(dir, "lazada-tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var saved tokenFile
	if err := json.Unmarshal(raw, &saved); err != nil || saved.RefreshToken != f.CurrentRefreshToken() || saved.AccessExpires.IsZero() {
		t.Fatalf("token_file %s: %v", raw, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "lazada-tokens.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token_file mode %v, %v; want 0600", fi.Mode(), err)
	}
	// A restart: the configured refresh token was spent.
	f.ExpireTokens()
	restarted := f.open(t, extra, nil)
	adaptertest.ObserveAll(t, restarted, nil)
	if f.TokenCalls() != 2 {
		t.Errorf("%d refreshes, want 2 (one per expiry)", f.TokenCalls())
	}
	// Without the file, the spent refresh token is refused.
	f.ExpireTokens()
	err = f.open(t, "", nil).Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var auth *adapters.AuthError
	if !errors.As(err, &auth) {
		t.Errorf("the spent configured refresh token: %v, want an *AuthError", err)
	}
	// A new configured refresh token ignores the file.
	other := Config{RefreshToken: "another-refresh-token", TokenFile: filepath.Join(dir, "lazada-tokens.json")}
	ts := &tokenSource{c: &Channel{cfg: other}, refresh: other.RefreshToken}
	if err := ts.load(); err != nil || ts.refresh != "another-refresh-token" {
		t.Errorf("a new refresh token read the old file: %v, %q", err, ts.refresh)
	}
	// A file that is not accord's is an error at Open.
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := setupFor(t, f.Config(`token_file = "`+filepath.Join(dir, "bad.json")+`"`))
	if _, err := Open(t.Context(), s); err == nil || !strings.Contains(err.Error(), "token_file") {
		t.Errorf("a corrupt token_file: %v", err)
	}
}
