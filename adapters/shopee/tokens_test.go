package shopee

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// at sets the clock of the fake and of the adapters to t.
func at(f *fake, t time.Time, cs ...*Channel) {
	f.SetClock(func() time.Time { return t })
	for _, c := range cs {
		c.wall = func() time.Time { return t }
	}
}

// holds fails unless c's tokens are the fake's newest.
func holds(t *testing.T, f *fake, c *Channel, who string) {
	t.Helper()
	access, refresh := f.Tokens()
	if got := c.tokens.current(); got[0] != access || got[1] != refresh {
		t.Errorf("%s does not hold the fake's newest tokens", who)
	}
}

// Two processes on one spec (a daemon and a person's plan) share the
// token file: what one refreshes the other adopts, on a refused access
// token or on one it knows expired, without a refresh of its own (which
// would spend a refresh token already spent: the fake fails the test).
func TestTokenFileSharedByTwoProcesses(t *testing.T) {
	f := newFake(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 1))
	s := setupFor(t, f.Config(`token_file = "tokens.json"`))
	daemon, plan := f.openWith(t, s), f.openWith(t, s)
	now := time.Now()
	at(f, now, daemon, plan)

	f.ExpireTokens()
	adaptertest.ObserveAll(t, daemon, nil)
	if n := f.Calls("refresh_access_token"); n != 1 {
		t.Fatalf("%d refreshes, want the daemon's", n)
	}
	// The plan's access token is refused: it takes the daemon's pair.
	adaptertest.ObserveAll(t, plan, nil)
	if n := f.Calls("refresh_access_token"); n != 1 {
		t.Errorf("%d refreshes after the plan's read, want the daemon's only", n)
	}
	holds(t, f, plan, "the plan")

	// Four hours later both know their access token expired. The plan
	// refreshes first; the daemon finds the plan's pair in the file.
	later := now.Add(4 * time.Hour)
	at(f, later, daemon, plan)
	adaptertest.ObserveAll(t, plan, nil)
	adaptertest.ObserveAll(t, daemon, nil)
	if n := f.Calls("refresh_access_token"); n != 2 {
		t.Errorf("%d refreshes after the expiry, want 2 (one per expiry)", n)
	}
	holds(t, f, daemon, "the daemon")
	holds(t, f, plan, "the plan")
}

// beforeRefresh runs fn before the first refresh request it forwards.
type beforeRefresh struct {
	base http.RoundTripper
	once sync.Once
	fn   func(context.Context)
}

func (b *beforeRefresh) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/auth/access_token/get") {
		b.once.Do(func() { b.fn(r.Context()) })
	}
	return b.base.RoundTrip(r)
}

// A refresh refused because another process spent the refresh token
// meanwhile without the lock (an older accord) reads the token file again
// and goes on with the pair it finds there.
func TestRefreshRefusedAdoptsTheTokenFile(t *testing.T) {
	f := newFake(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 1))
	s := setupFor(t, f.Config(`token_file = "tokens.json"`))
	old, plan := f.openWith(t, s), f.openWith(t, s)
	plan.http = &http.Client{Transport: &beforeRefresh{base: f.Client().Transport, fn: func(ctx context.Context) {
		old.tokens.mu.Lock()
		defer old.tokens.mu.Unlock()
		if err := old.tokens.exchange(ctx); err != nil {
			t.Errorf("the other process's refresh: %v", err)
		}
	}}}
	f.ExpectInvalid() // the plan's refresh token, spent by the other process
	f.ExpireTokens()
	adaptertest.ObserveAll(t, plan, nil)
	if n := f.Calls("refresh_access_token"); n != 2 {
		t.Errorf("%d refreshes, want the other process's and the plan's refused one", n)
	}
	holds(t, f, plan, "the plan")
}

// Two processes that find their access token refused at once refresh it
// once: the second waits for the lock, then takes the first's pair.
func TestConcurrentRefreshesOnce(t *testing.T) {
	f := newFake(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopee_sg", Scale: 2}, 1))
	s := setupFor(t, f.Config(`token_file = "tokens.json"`))
	cs := []*Channel{f.openWith(t, s), f.openWith(t, s)}
	f.ExpireTokens()
	// The test holds the lock until both wait for it.
	errs := adaptertest.WhileLocked(t, filepath.Join(s.SpecDir, "tokens.json.lock"), len(cs),
		func(i int, busy func()) { cs[i].tokens.busy = busy },
		func(i int) error {
			return cs[i].Observe(t.Context(), nil, func([]adapters.Listing) error { return nil })
		})
	for i, err := range errs {
		if err != nil {
			t.Errorf("adapter %d: %v", i, err)
		}
		holds(t, f, cs[i], "an adapter")
	}
	if n := f.Calls("refresh_access_token"); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}
