package lazada

import (
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

// fake is the fake Lazada of lazadatest, with the adapter opened on it.
type fake struct {
	*lazadatest.Server
}

func newFake(t testing.TB) *fake {
	return &fake{lazadatest.New(t)}
}

// open opens an adapter on the fake with extra config lines; now, when
// not nil, is its clock.
func (f *fake) open(t testing.TB, extra string, now func() time.Time) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(extra))
	s.HTTPClient = f.Client()
	s.Now = now
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
