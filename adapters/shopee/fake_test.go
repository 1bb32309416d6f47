package shopee

import (
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
)

var testEnv = shopeetest.Env()

// setupFor is the setup of a channel "shopee_sg" in SGD with config.
func setupFor(t testing.TB, config string) adapters.Setup {
	t.Helper()
	s := adaptertest.Setup(t, "shopee_sg", shopeetest.Currency, 2, config, testEnv)
	s.SpecDir = t.TempDir()
	return s
}

// fake is the fake of shopeetest, with the adapter opened on it.
type fake struct {
	*shopeetest.Server
}

func newFake(t testing.TB) *fake {
	return &fake{shopeetest.New(t)}
}

func (f *fake) open(t testing.TB) *Channel {
	t.Helper()
	return f.openWith(t, setupFor(t, f.Config("")))
}

func (f *fake) openWith(t testing.TB, s adapters.Setup) *Channel {
	t.Helper()
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Tests pace by the fake's limits, not by the default rate, and a
	// throttle pauses for a moment only.
	c.budget = adapters.NewBudgets(nil).For("test", adapters.Unlimited, adapters.Unlimited)
	c.pause = time.Millisecond
	return c
}
