package apikit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (k *fakeClock) Now() time.Time { k.mu.Lock(); defer k.mu.Unlock(); return k.now }

func (k *fakeClock) Add(d time.Duration) { k.mu.Lock(); defer k.mu.Unlock(); k.now = k.now.Add(d) }

// counting is an exchange that hands out tok1, tok2, ... living ttl.
type counting struct {
	mu    sync.Mutex
	calls int
	ttl   time.Duration
	err   error
}

func (x *counting) exchange(context.Context) (string, time.Duration, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.calls++
	if x.err != nil {
		return "", 0, x.err
	}
	return "tok" + strconv.Itoa(x.calls), x.ttl, nil
}

func (x *counting) n() int { x.mu.Lock(); defer x.mu.Unlock(); return x.calls }

func TestTokensRefreshBeforeExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	x := &counting{ttl: 10 * time.Minute}
	c := NewTokens(x.exchange, clock.Now, TokenMargin)
	get := func(want string, calls int) {
		t.Helper()
		tok, err := c.Get(context.Background())
		if err != nil || tok != want || x.n() != calls {
			t.Fatalf("Get = %q, %v after %d exchanges; want %q after %d", tok, err, x.n(), want, calls)
		}
	}
	get("tok1", 1)
	clock.Add(8*time.Minute + 59*time.Second)
	get("tok1", 1) // more than the margin left
	clock.Add(time.Second)
	get("tok2", 2) // within the margin
}

func TestTokensInvalidate(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	x := &counting{ttl: time.Hour}
	c := NewTokens(x.exchange, clock.Now, TokenMargin)
	tok, _ := c.Get(context.Background())
	c.Invalidate("another")
	if again, _ := c.Get(context.Background()); again != tok || x.n() != 1 {
		t.Fatalf("invalidating another token dropped %q: %q after %d exchanges", tok, again, x.n())
	}
	c.Invalidate(tok)
	if again, _ := c.Get(context.Background()); again != "tok2" || x.n() != 2 {
		t.Fatalf("after Invalidate: %q after %d exchanges, want tok2 after 2", again, x.n())
	}
	// A stale invalidation (tok1 was already replaced) keeps tok2.
	c.Invalidate(tok)
	if again, _ := c.Get(context.Background()); again != "tok2" || x.n() != 2 {
		t.Fatalf("a stale Invalidate: %q after %d exchanges", again, x.n())
	}
}

func TestTokensSeed(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	x := &counting{ttl: time.Hour}
	c := NewTokens(x.exchange, clock.Now, TokenMargin)
	c.Seed("configured")
	clock.Add(1000 * time.Hour)
	if tok, _ := c.Get(context.Background()); tok != "configured" || x.n() != 0 {
		t.Fatalf("a seeded token of unknown expiry: %q after %d exchanges", tok, x.n())
	}
	c.Invalidate("configured")
	if tok, _ := c.Get(context.Background()); tok != "tok1" || x.n() != 1 {
		t.Fatalf("after invalidating the seed: %q after %d exchanges", tok, x.n())
	}
	c.Seed("")
	if tok, _ := c.Get(context.Background()); tok != "tok2" {
		t.Fatalf("an empty seed is no token: got %q", tok)
	}
}

func TestTokensError(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	refused := &adapters.AuthError{Message: "refused"}
	x := &counting{ttl: time.Hour, err: refused}
	c := NewTokens(x.exchange, clock.Now, TokenMargin)
	if tok, err := c.Get(context.Background()); tok != "" || !errors.Is(err, refused) {
		t.Fatalf("Get = %q, %v; want the exchange's error", tok, err)
	}
	if _, err := c.Get(context.Background()); err == nil || x.n() != 2 {
		t.Fatalf("a failed exchange is not cached: %v after %d exchanges", err, x.n())
	}
}

// Concurrent callers share one exchange.
func TestTokensOneExchangeAtATime(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	release := make(chan struct{})
	var mu sync.Mutex
	running, most, calls := 0, 0, 0
	exchange := func(context.Context) (string, time.Duration, error) {
		mu.Lock()
		running++
		calls++
		most = max(most, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		return "shared", time.Hour, nil
	}
	c := NewTokens(exchange, clock.Now, TokenMargin)
	var wg sync.WaitGroup
	toks := make([]string, 8)
	for i := range toks {
		wg.Go(func() { toks[i], _ = c.Get(context.Background()) })
	}
	close(release)
	wg.Wait()
	if most != 1 || calls != 1 {
		t.Fatalf("%d exchanges, %d at once; want 1", calls, most)
	}
	for _, tok := range toks {
		if tok != "shared" {
			t.Fatalf("a caller got %q", tok)
		}
	}
}

func TestScrub(t *testing.T) {
	got := Scrub("GET https://x/?k=s3cr3t&r=refresh-tok: refresh-tok", "s3cr3t", "", "refresh-tok")
	if got != "GET https://x/?k=[secret]&r=[secret]: [secret]" {
		t.Fatalf("Scrub = %q", got)
	}
	if got := Scrub("nothing to hide", ""); got != "nothing to hide" {
		t.Fatalf("an empty secret changed the message: %q", got)
	}
}

func TestScrubErr(t *testing.T) {
	clean := func(s string) string { return strings.ReplaceAll(s, "pw", "[secret]") }
	cases := []struct {
		in, want error
	}{
		{&adapters.TemporaryError{Message: "pw", Timeout: true}, &adapters.TemporaryError{Message: "[secret]", Timeout: true}},
		{&adapters.AuthError{Message: "pw"}, &adapters.AuthError{Message: "[secret]"}},
		{&adapters.ThrottledError{RetryAfter: time.Second, Message: "pw"}, &adapters.ThrottledError{RetryAfter: time.Second, Message: "[secret]"}},
		{&adapters.RejectedError{Reason: "pw"}, &adapters.RejectedError{Reason: "[secret]"}},
		{&adapters.BadResponseError{Message: "pw"}, &adapters.BadResponseError{Message: "[secret]"}},
		{context.Canceled, context.Canceled},
	}
	for _, c := range cases {
		got := ScrubErr(c.in, clean)
		if got.Error() != c.want.Error() {
			t.Errorf("ScrubErr(%v) = %v, want %v", c.in, got, c.want)
		}
		var tmp *adapters.TemporaryError
		if errors.As(c.want, &tmp) {
			var gtmp *adapters.TemporaryError
			if !errors.As(got, &gtmp) || gtmp.Timeout != tmp.Timeout {
				t.Errorf("ScrubErr lost the Timeout of %v", c.in)
			}
		}
	}
	if orig := (&adapters.AuthError{Message: "pw"}); ScrubErr(orig, clean) != nil && orig.Message != "pw" {
		t.Error("ScrubErr changed the error it was given")
	}
}

func TestOAuthAnswer(t *testing.T) {
	a, err := DecodeOAuth([]byte(`{"access_token":"at","expires_in":120}`))
	if err != nil || a.AccessToken != "at" || a.Life(time.Hour) != 2*time.Minute {
		t.Fatalf("DecodeOAuth = %+v, %v", a, err)
	}
	for _, body := range []string{`{"access_token":"at"}`, `{"access_token":"at","expires_in":0}`, `{"access_token":"at","expires_in":-5}`} {
		if a, _ := DecodeOAuth([]byte(body)); a.Life(time.Hour) != time.Hour {
			t.Errorf("%s: Life = %s, want the default", body, a.Life(time.Hour))
		}
	}
	a, _ = DecodeOAuth([]byte(`{"error":"invalid_grant","error_description":"revoked"}`))
	if got := a.Describe(nil, "snip"); got != "invalid_grant: revoked" {
		t.Errorf("Describe = %q", got)
	}
	a.ErrorDescription = ""
	if got := a.Describe(nil, "snip"); got != "invalid_grant" {
		t.Errorf("Describe = %q", got)
	}
	a, jerr := DecodeOAuth([]byte(`<html>`))
	if jerr == nil || a.Describe(jerr, "snip") != "snip" || !strings.HasPrefix(NoToken(jerr), "not JSON (") {
		t.Errorf("a body that is not JSON: %v, %q, %q", jerr, a.Describe(jerr, "snip"), NoToken(jerr))
	}
	if NoToken(nil) != "no access_token" || (OAuthAnswer{}).Describe(nil, "snip") != "snip" {
		t.Error("an answer with neither token nor error")
	}
}
