package apikit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/adapters"
)

func TestFailure(t *testing.T) {
	cases := []struct {
		status int
		write  bool
		check  func(error) bool
	}{
		{429, false, func(err error) bool {
			var e *adapters.ThrottledError
			return errors.As(err, &e) && e.RetryAfter == 7*time.Second
		}},
		{401, false, func(err error) bool { var e *adapters.AuthError; return errors.As(err, &e) }},
		{403, true, func(err error) bool { var e *adapters.AuthError; return errors.As(err, &e) }},
		{500, true, func(err error) bool { var e *adapters.TemporaryError; return errors.As(err, &e) && !e.Timeout }},
		{504, true, func(err error) bool { var e *adapters.TemporaryError; return errors.As(err, &e) && e.Timeout }},
		{504, false, func(err error) bool { var e *adapters.TemporaryError; return errors.As(err, &e) && !e.Timeout }},
		{400, true, func(err error) bool { var e *adapters.RejectedError; return errors.As(err, &e) }},
		{422, true, func(err error) bool { var e *adapters.RejectedError; return errors.As(err, &e) }},
		{302, false, func(err error) bool { var e *adapters.BadResponseError; return errors.As(err, &e) }},
	}
	for _, c := range cases {
		a := &Answer{Status: c.status, Header: http.Header{"Retry-After": {"7"}, "Content-Type": {"text/html"}}, Body: []byte("<html><body>Bad gateway</body></html>")}
		err := a.Failure("op", c.write, "")
		if !c.check(err) {
			t.Errorf("HTTP %d write=%v: %T %v", c.status, c.write, err, err)
		}
		if !strings.Contains(err.Error(), "Bad gateway") || !strings.Contains(err.Error(), "text/html") {
			t.Errorf("HTTP %d: %v does not show the answer", c.status, err)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("é", 300)
	s := Snippet([]byte(long), http.Header{})
	if !strings.HasSuffix(s, `..." (no content type)`) || strings.ContainsRune(s, '\uFFFD') {
		t.Errorf("snippet = %s", s)
	}
	if s := Snippet(nil, http.Header{"Content-Type": {"application/json"}}); s != "an empty answer (application/json)" {
		t.Errorf("snippet = %s", s)
	}
}

func TestDoTransportFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		_ = conn.Close()
	}))
	defer srv.Close()
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequestWithContext(t.Context(), m, srv.URL, nil)
		_, err := Do(t.Context(), srv.Client(), "op", req)
		var tmp *adapters.TemporaryError
		if !errors.As(err, &tmp) || tmp.Timeout != (m == http.MethodPost) {
			t.Errorf("%s: %T %v", m, err, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := Do(ctx, srv.Client(), "op", req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestHooks(t *testing.T) {
	var h Hooks
	h.Push(adapters.Event{SKU: "before"}) // nobody watches: dropped
	if h.Dropped() != 1 {
		t.Fatalf("dropped = %d", h.Dropped())
	}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan adapters.Event, 10)
	done := make(chan error)
	go func() { done <- h.Watch(ctx, func(ev adapters.Event) { got <- ev }) }()
	for h.Watchers() == 0 {
		runtime.Gosched()
	}
	h.Push(adapters.Event{SKU: "a"}, adapters.Event{SKU: "b"})
	if a, b := <-got, <-got; a.SKU != "a" || b.SKU != "b" {
		t.Fatalf("order: %s %s", a.SKU, b.SKU)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch = %v", err)
	}
}

var specOf = hcldec.ObjectSpec{
	"shop":     &hcldec.AttrSpec{Name: "shop", Type: cty.String, Required: true},
	"token":    &hcldec.AttrSpec{Name: "token", Type: cty.String},
	"secret":   &hcldec.AttrSpec{Name: "secret", Type: cty.String},
	"endpoint": &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"size":     &hcldec.AttrSpec{Name: "size", Type: cty.Number},
}

func setupOf(t *testing.T, src string, env map[string]string) adapters.Setup {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "accord.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	envFn := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, ok := env[args[0].AsString()]
			if !ok {
				return cty.NilVal, errors.New("environment variable " + args[0].AsString() + " is not set")
			}
			return cty.StringVal(v), nil
		},
	})
	return adapters.Setup{Name: "shop", Config: f.Body, Eval: &hcl.EvalContext{Functions: map[string]function.Function{"env": envFn}}}
}

func TestDecode(t *testing.T) {
	b := Decode(setupOf(t, "shop = \"x\"\ntoken = env(\"T\")\nsecret = env(\"S\")\n", nil), specOf, []string{"token", "secret"}, "SHOP")
	err := b.Err()
	if err == nil || !strings.Contains(err.Error(), "set S, T.") {
		t.Fatalf("err = %v", err)
	}
	b = Decode(setupOf(t, "shop = \"x\"\ntoken = \"literal\"\n", nil), specOf, []string{"token"}, "SHOP")
	if err := b.Err(); err == nil || !strings.Contains(err.Error(), `env("SHOP_TOKEN")`) {
		t.Fatalf("err = %v", err)
	}
	b = Decode(setupOf(t, "shop = \"x\"\ntoken = env(\"T\")\nendpoint = \"ftp://x\"\nsize = 3.5\n", map[string]string{"T": "t"}), specOf, []string{"token"}, "SHOP")
	if b.String("token") != "t" || b.Required("shop") != "x" {
		t.Fatal("values")
	}
	_ = b.URL("endpoint", "https://default")
	_ = b.Int("size", 10, 1, 100, "a size")
	_ = b.Required("secret")
	err = b.Err()
	for _, want := range []string{`"ftp://x" is not an http(s) URL`, "size is a whole number from 1 to 100", "secret is empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

func TestLockFile(t *testing.T) {
	path := t.TempDir() + "/tokens.json.lock"
	unlock, err := LockFile(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A second lock waits, saying so, until the first is released.
	waiting := make(chan struct{})
	got := make(chan error, 1)
	go func() {
		u, err := LockFile(t.Context(), path, func() { close(waiting) })
		if err == nil {
			u()
		}
		got <- err
	}()
	<-waiting
	select {
	case err := <-got:
		t.Fatalf("the second lock did not wait: %v", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// A wait ends with its context.
	unlock, err = LockFile(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	if _, err := LockFile(ctx, path, cancel); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait: %v", err)
	}
}
