package walmart

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/walmart/walmarttest"
)

var testEnv = walmarttest.Env()

func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	return adaptertest.Setup(t, "walmart_us", "USD", 2, config, testEnv)
}

// fake is the fake Walmart API of walmarttest.
type fake struct {
	*walmarttest.Server
}

func newFake(t testing.TB) *fake { return &fake{walmarttest.New(t)} }

// open opens an adapter on the fake; mod, when not nil, changes its setup.
func (f *fake) open(t testing.TB, extra string, mod ...func(*adapters.Setup)) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(extra))
	s.HTTPClient = f.Client()
	for _, m := range mod {
		m(&s)
	}
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
