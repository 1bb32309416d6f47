package tiktok

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/tiktok/tiktoktest"
)

// setupFor is a Setup of the config text, env() reading env.
func setupFor(t testing.TB, config string, env map[string]string) adapters.Setup {
	t.Helper()
	return adaptertest.Setup(t, "tiktok_us", "USD", 2, config, env)
}

// fake is the fake Open API with the adapter opened on it.
type fake struct {
	*tiktoktest.Server
}

func newFake(t testing.TB) *fake { return &fake{tiktoktest.New(t)} }

func (f *fake) open(t testing.TB) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(""), f.Env())
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	// The fake has no rate limit unless a test sets one: the tests do not
	// wait on the default pacing (TestPacing does).
	c.budget = adapters.NewBudgets(nil).For("test", adapters.Unlimited, adapters.Unlimited)
	return c
}
