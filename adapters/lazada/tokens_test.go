package lazada

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
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

// sharing opens two adapters on the fake with one token_file, as a daemon
// and a person's plan on one spec would; it returns the file's path.
func sharing(t *testing.T, f *fake) (daemon, plan *Channel, path string) {
	t.Helper()
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "lazada_sg", Currency: "SGD", Scale: 2}, 1))
	path = filepath.Join(t.TempDir(), "lazada-tokens.json")
	extra := `token_file = "` + path + `"`
	return f.open(t, extra, nil), f.open(t, extra, nil), path
}

// holds fails unless c's refresh token is the one the fake accepts now.
func holds(t *testing.T, f *fake, c *Channel, who string) {
	t.Helper()
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.refresh != f.CurrentRefreshToken() {
		t.Errorf("%s does not hold the fake's newest refresh token", who)
	}
}

// Two processes on one spec share token_file: what one refreshes the other
// adopts, on a refused access token or on one it knows expires, without
// a refresh of its own (which would spend a refresh token already spent).
func TestTokenFileSharedByTwoProcesses(t *testing.T) {
	f := newFake(t)
	daemon, plan, _ := sharing(t, f)
	now := time.Now()
	daemon.clock, plan.clock = clockAt(now), clockAt(now)

	f.ExpireTokens()
	adaptertest.ObserveAll(t, daemon, nil)
	if n := f.TokenCalls(); n != 1 {
		t.Fatalf("%d refreshes, want the daemon's", n)
	}
	// The plan's access token is refused: it takes the daemon's tokens.
	adaptertest.ObserveAll(t, plan, nil)
	if n := f.TokenCalls(); n != 1 {
		t.Errorf("%d refreshes after the plan's read, want the daemon's only", n)
	}
	holds(t, f, plan, "the plan")

	// An hour later the daemon's token is refused again and it refreshes.
	hour := now.Add(time.Hour)
	daemon.clock = clockAt(hour)
	f.ExpireTokens()
	adaptertest.ObserveAll(t, daemon, nil)
	// When the plan's token is about to expire (by its clock), the file
	// holds the daemon's newer one: no refresh.
	plan.clock = clockAt(now.Add(lazadatest.AccessLifetime))
	if _, err := plan.tokens.get(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.TokenCalls(); n != 2 {
		t.Errorf("%d refreshes, want 2 (the daemon's)", n)
	}
	holds(t, f, plan, "the plan")
	// The fake takes timestamps within 2 hours of its clock.
	plan.clock = clockAt(hour)
	adaptertest.ObserveAll(t, plan, nil)
	if n := f.TokenCalls(); n != 2 {
		t.Errorf("%d refreshes after the plan's read, want 2", n)
	}
}

// beforeRefresh runs fn before the first refresh request it forwards.
type beforeRefresh struct {
	base http.RoundTripper
	once sync.Once
	fn   func(context.Context)
}

func (b *beforeRefresh) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/auth/token/refresh") {
		b.once.Do(func() { b.fn(r.Context()) })
	}
	return b.base.RoundTrip(r)
}

// A refresh refused because another process spent the refresh token
// meanwhile without the lock (an older accord) reads token_file again and
// goes on with the tokens it finds there.
func TestRefreshRefusedAdoptsTheTokenFile(t *testing.T) {
	f := newFake(t)
	old, plan, _ := sharing(t, f)
	plan.http = &http.Client{Transport: &beforeRefresh{base: f.Client().Transport, fn: func(ctx context.Context) {
		old.tokens.mu.Lock()
		defer old.tokens.mu.Unlock()
		if err := old.tokens.refreshLocked(ctx); err != nil {
			t.Errorf("the other process's refresh: %v", err)
		}
	}}}
	f.ExpireTokens()
	adaptertest.ObserveAll(t, plan, nil)
	if n := f.TokenCalls(); n != 1 {
		t.Errorf("%d refreshes, want the other process's", n)
	}
	holds(t, f, plan, "the plan")
}

// Two processes that find their access token refused at once refresh it
// once: the second waits for the lock, then takes the first's tokens.
func TestConcurrentRefreshesOnce(t *testing.T) {
	f := newFake(t)
	daemon, plan, path := sharing(t, f)
	cs := []*Channel{daemon, plan}
	f.ExpireTokens()
	// The test holds the lock until both wait for it.
	errs := adaptertest.WhileLocked(t, path+".lock", len(cs),
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
	if n := f.TokenCalls(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}
