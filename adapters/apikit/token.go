package apikit

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
)

// TokenMargin is how long before its expiry a cached access token is no
// longer used, unless the channel asks for another margin.
const TokenMargin = time.Minute

// Exchange gets a new access token from the channel and says how long it
// lives. It runs with the cache locked: one exchange at a time, and
// nothing else it keeps (a rotated refresh token) is touched by another.
type Exchange func(ctx context.Context) (token string, ttl time.Duration, err error)

// Tokens caches a channel's access token: Get exchanges for a new one when
// there is none or it expires within the margin, and Invalidate drops one
// the channel refused as expired. The channel's Exchange owns the wire
// format; Tokens never puts a token in a message.
type Tokens struct {
	exchange Exchange
	now      func() time.Time
	margin   time.Duration

	mu      sync.Mutex
	token   string
	expires time.Time // zero: unknown, used until invalidated
}

// NewTokens is a cache that gets its tokens from exchange and reads
// expiries on now, refreshing a token margin before it expires.
func NewTokens(exchange Exchange, now func() time.Time, margin time.Duration) *Tokens {
	return &Tokens{exchange: exchange, now: now, margin: margin}
}

// Seed makes tok the current token, of unknown expiry (one given in the
// config): it is used until invalidated.
func (t *Tokens) Seed(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token, t.expires = tok, time.Time{}
}

// Get returns a valid access token, exchanging for one when the cached one
// is missing or about to expire.
func (t *Tokens) Get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && (t.expires.IsZero() || t.now().Add(t.margin).Before(t.expires)) {
		return t.token, nil
	}
	tok, ttl, err := t.exchange(ctx)
	if err != nil {
		return "", err
	}
	t.token, t.expires = tok, t.now().Add(ttl)
	return tok, nil
}

// Invalidate drops the cached token if it is still tok, so that the next
// Get exchanges again; a token another call already replaced stays.
func (t *Tokens) Invalidate(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == tok {
		t.token = ""
	}
}

// Scrub replaces every secret in s with "[secret]" (a transport error may
// quote a URL, an answer may echo a form); empty secrets are passed over.
func Scrub(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[secret]")
		}
	}
	return s
}

// ScrubErr rebuilds one of adapters' failures, as apikit returns them
// (unwrapped), with scrub applied to its message and every other field
// kept; any other error is returned as it is.
func ScrubErr(err error, scrub func(string) string) error {
	switch e := err.(type) { //nolint:errorlint // the failures of apikit are returned unwrapped
	case *adapters.TemporaryError:
		return &adapters.TemporaryError{Message: scrub(e.Message), Timeout: e.Timeout}
	case *adapters.AuthError:
		return &adapters.AuthError{Message: scrub(e.Message)}
	case *adapters.ThrottledError:
		return &adapters.ThrottledError{RetryAfter: e.RetryAfter, Message: scrub(e.Message)}
	case *adapters.RejectedError:
		return &adapters.RejectedError{Reason: scrub(e.Reason)}
	case *adapters.BadResponseError:
		return &adapters.BadResponseError{Message: scrub(e.Message)}
	}
	return err
}
