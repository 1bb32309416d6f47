package amazon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/accordhq/accord/adapters/amazon/amazontest"
)

// fake is the fake SP-API of amazontest, with the adapter opened on it.
type fake struct {
	*amazontest.Server
}

func newFake(t testing.TB) *fake {
	return &fake{amazontest.New(t)}
}

func (f *fake) open(t testing.TB, extra string) *Channel {
	t.Helper()
	s := setupFor(t, f.Config(extra))
	s.HTTPClient = f.Client()
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// httptestServer answers every request with one status, content type and
// body, and returns its URL.
func httptestServer(t testing.TB, status int, ct, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
