package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/loop"
	"github.com/accordhq/accord/controller/metrics"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/server"
	"github.com/accordhq/accord/controller/store"
)

type fakeDaemon struct {
	mu       sync.Mutex
	ready    bool
	pending  *plan.Plan
	approved []string
	syncs    []string
	panics   bool
}

func (d *fakeDaemon) Status() loop.Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.panics {
		panic("status broke")
	}
	return loop.Status{Mode: loop.ApplyAll, Ready: d.ready, Revision: "sha256:abc", Channels: []loop.ChannelStatus{{Name: "shop", Status: "ok"}}}
}

func (d *fakeDaemon) Pending() *plan.Plan {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pending
}

func (d *fakeDaemon) Approve(_ context.Context, revision, by string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending == nil || d.pending.Revision != revision {
		return errors.New("not the pending revision")
	}
	d.approved = append(d.approved, revision+" by "+by)
	return nil
}

func (d *fakeDaemon) Sync(trigger string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.syncs = append(d.syncs, trigger)
}

func newServer(t *testing.T, d *fakeDaemon, token, secret string) (*httptest.Server, *store.Store, *metrics.Metrics) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	m := metrics.New()
	srv := httptest.NewServer(server.Handler(server.Config{Daemon: d, Store: st, Metrics: m.Handler(), Token: token, HookSecret: secret}))
	t.Cleanup(srv.Close)
	return srv, st, m
}

func do(t *testing.T, method, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestProbesAndStatus(t *testing.T) {
	d := &fakeDaemon{}
	srv, st, _ := newServer(t, d, "", "")
	if code, _ := do(t, "GET", srv.URL+"/healthz", "", nil); code != http.StatusOK {
		t.Errorf("healthz %d", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/readyz", "", nil); code != http.StatusServiceUnavailable {
		t.Errorf("readyz before the first good reconcile: %d, want 503", code)
	}
	d.ready = true
	if code, _ := do(t, "GET", srv.URL+"/readyz", "", nil); code != http.StatusOK {
		t.Errorf("readyz after: %d", code)
	}
	code, body := do(t, "GET", srv.URL+"/api/status", "", nil)
	var status struct {
		Revision string `json:"revision"`
		Ready    bool   `json:"ready"`
		Channels []struct {
			Name string `json:"name"`
		} `json:"channels"`
	}
	if err := json.Unmarshal([]byte(body), &status); err != nil || code != http.StatusOK || status.Revision != "sha256:abc" || !status.Ready || len(status.Channels) != 1 {
		t.Errorf("status %d %s (%v)", code, body, err)
	}
	if err := st.AddExceptions(context.Background(), "sha256:abc", []store.Exception{{Code: "drift", Channel: "shop", SKU: "A-1", Field: "price",
		Observed: adapters.Text("9.00"), Expected: adapters.Text("10.00"), Action: "correct", Message: "price was changed"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordCommit(context.Background(), store.Commit{SHA: "0123456789abcdef", Revision: "sha256:abc", Author: "Ana", Message: "Lower A-1", Committed: time.Now()}); err != nil {
		t.Fatal(err)
	}
	code, body = do(t, "GET", srv.URL+"/api/exceptions", "", nil)
	var ex []struct {
		Code     string  `json:"code"`
		Observed *string `json:"observed"`
		Commit   string  `json:"commit"`
	}
	if err := json.Unmarshal([]byte(body), &ex); err != nil || code != http.StatusOK || len(ex) != 1 || *ex[0].Observed != "9.00" || ex[0].Commit != "0123456789abcdef" {
		t.Errorf("exceptions %d %s (%v)", code, body, err)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/exceptions?status=bogus", "", nil); code != http.StatusBadRequest {
		t.Errorf("a bad filter: %d", code)
	}
	// A handler that panics is a 500, and the server lives on.
	d.panics = true
	if code, _ := do(t, "GET", srv.URL+"/api/status", "", nil); code != http.StatusInternalServerError {
		t.Errorf("panicking handler: %d, want 500", code)
	}
	d.panics = false
	if code, _ := do(t, "GET", srv.URL+"/healthz", "", nil); code != http.StatusOK {
		t.Errorf("after a panic: %d", code)
	}
}

// /metrics is Prometheus' text format, with accord's metrics in it.
func TestMetricsParse(t *testing.T) {
	srv, _, m := newServer(t, &fakeDaemon{}, "", "")
	m.ObserveReconcile("start", "ok", 1500*time.Millisecond, time.Unix(1700000000, 0))
	m.ChangesApplied.WithLabelValues("shop", "price").Add(3)
	metrics.SetAll(m.ExceptionsOpen, []metrics.Count{{Labels: []string{"drift", "shop"}, Value: 2}})
	code, body := do(t, "GET", srv.URL+"/metrics", "", map[string]string{"Accept": "text/plain"})
	if code != http.StatusOK {
		t.Fatalf("metrics %d", code)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, body)
	}
	for name, want := range map[string]float64{
		"accord_changes_applied_total":                 3,
		"accord_exceptions_open":                       2,
		"accord_last_good_reconcile_timestamp_seconds": 1700000000,
	} {
		f := families[name]
		if f == nil || len(f.GetMetric()) == 0 {
			t.Errorf("%s missing", name)
			continue
		}
		mt := f.GetMetric()[0]
		got := mt.GetCounter().GetValue() + mt.GetGauge().GetValue()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if h := families["accord_reconcile_duration_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("reconcile histogram: %v", h)
	}
}

// Approving needs the bearer token, and is off without one configured.
func TestApproveNeedsToken(t *testing.T) {
	d := &fakeDaemon{pending: &plan.Plan{Revision: "sha256:new", Changes: []plan.Change{{Channel: "shop", SKU: "A-1", Kind: adapters.KindPrice,
		From: adapters.Text("10.00"), To: adapters.Text("12.00"), Reason: plan.ReasonSpec}}}}
	off, _, _ := newServer(t, d, "", "")
	if code, _ := do(t, "POST", off.URL+"/api/plan/approve", `{"revision": "sha256:new"}`, nil); code != http.StatusForbidden {
		t.Errorf("approve without a token configured: %d, want 403", code)
	}
	srv, _, _ := newServer(t, d, "s3cret", "")
	code, body := do(t, "GET", srv.URL+"/api/plan", "", nil)
	if code != http.StatusOK || !strings.Contains(body, `"revision": "sha256:new"`) || !strings.Contains(body, `"checksum"`) {
		t.Errorf("pending plan %d %s", code, body)
	}
	for _, auth := range []string{"", "Bearer wrong", "s3cret"} {
		if code, _ := do(t, "POST", srv.URL+"/api/plan/approve", `{"revision": "sha256:new"}`, map[string]string{"Authorization": auth}); code != http.StatusUnauthorized {
			t.Errorf("approve with %q: %d, want 401", auth, code)
		}
	}
	bearer := map[string]string{"Authorization": "Bearer s3cret"}
	if code, _ := do(t, "POST", srv.URL+"/api/plan/approve", `{"revision": "sha256:old"}`, bearer); code != http.StatusConflict {
		t.Errorf("approving another revision: %d, want 409", code)
	}
	if code, _ := do(t, "POST", srv.URL+"/api/plan/approve", `not json`, bearer); code != http.StatusBadRequest {
		t.Errorf("a bad body: %d, want 400", code)
	}
	if code, _ := do(t, "POST", srv.URL+"/api/plan/approve", `{"revision": "sha256:new", "by": "ana"}`, bearer); code != http.StatusAccepted {
		t.Errorf("approve: %d", code)
	}
	if len(d.approved) != 1 || d.approved[0] != "sha256:new by ana" {
		t.Errorf("approved %q", d.approved)
	}
	d.pending = nil
	if code, _ := do(t, "GET", srv.URL+"/api/plan", "", nil); code != http.StatusNotFound {
		t.Errorf("no pending plan: %d, want 404", code)
	}
}

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// The git webhook syncs at once when its signature holds, and changes
// nothing otherwise.
func TestWebhookSignature(t *testing.T) {
	d := &fakeDaemon{}
	srv, _, _ := newServer(t, d, "", "hooksecret")
	body := `{"ref": "refs/heads/main"}`
	for name, header := range map[string]string{
		"missing":      "",
		"other secret": sign("wrong", body),
		"other body":   sign("hooksecret", body+" "),
		"not hex":      "sha256=zz",
		"sha1":         "sha1=" + strings.TrimPrefix(sign("hooksecret", body), "sha256="),
	} {
		code, _ := do(t, "POST", srv.URL+"/api/hooks/git", body, map[string]string{"X-Hub-Signature-256": header})
		if code != http.StatusUnauthorized {
			t.Errorf("%s signature: %d, want 401", name, code)
		}
	}
	if len(d.syncs) != 0 {
		t.Fatalf("synced on a bad signature: %q", d.syncs)
	}
	if code, _ := do(t, "POST", srv.URL+"/api/hooks/git", body, map[string]string{"X-Hub-Signature-256": sign("hooksecret", body)}); code != http.StatusAccepted {
		t.Errorf("good signature: %d", code)
	}
	if len(d.syncs) != 1 || d.syncs[0] != "webhook" {
		t.Errorf("syncs %q", d.syncs)
	}
	off, _, _ := newServer(t, d, "", "")
	if code, _ := do(t, "POST", off.URL+"/api/hooks/git", body, map[string]string{"X-Hub-Signature-256": sign("", body)}); code != http.StatusNotFound {
		t.Errorf("hook without a secret configured: %d, want 404", code)
	}
}

// fakeChannels verifies a channel webhook the way an adapter would: the
// body must carry the header "X-Test-Sig: ok".
type fakeChannels struct {
	got []string
}

func (c *fakeChannels) ChannelHook(_ context.Context, name string, r *http.Request, body []byte) ([]byte, error) {
	switch {
	case name == "watching":
		return nil, loop.ErrNotWatching
	case name != "shopify":
		return nil, fmt.Errorf("channel %s: %w", name, controller.ErrNoHooks)
	case r.Method == http.MethodGet:
		return []byte(`{"challengeResponse":"` + r.URL.Query().Get("challenge_code") + `"}`), nil
	case r.Header.Get("X-Test-Sig") != "ok":
		return nil, fmt.Errorf("channel %s webhook: %w", name, adapters.ErrBadSignature)
	}
	c.got = append(c.got, string(body))
	return nil, nil
}

func TestChannelHooks(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ch := &fakeChannels{}
	srv := httptest.NewServer(server.Handler(server.Config{Daemon: &fakeDaemon{}, Store: st, Channels: ch}))
	t.Cleanup(srv.Close)

	cases := []struct {
		method, path, sig string
		code              int
		body              string
	}{
		{"POST", "/api/hooks/channel/shopify", "ok", 200, ""},
		{"POST", "/api/hooks/channel/shopify", "forged", 401, "webhook signature missing or wrong"},
		{"POST", "/api/hooks/channel/shopify", "", 401, "webhook signature missing or wrong"},
		{"POST", "/api/hooks/channel/sandbox", "ok", 404, "channel takes no webhooks"},
		{"POST", "/api/hooks/channel/watching", "ok", 503, "not watching"},
		{"GET", "/api/hooks/channel/shopify?challenge_code=abc", "", 200, `{"challengeResponse":"abc"}`},
		{"PUT", "/api/hooks/channel/shopify", "ok", 405, ""},
	}
	for _, c := range cases {
		code, body := do(t, c.method, srv.URL+c.path, `{"order":1}`, map[string]string{"X-Test-Sig": c.sig})
		if code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("%s %s sig=%q: %d %s, want %d %q", c.method, c.path, c.sig, code, body, c.code, c.body)
		}
	}
	if len(ch.got) != 1 || ch.got[0] != `{"order":1}` {
		t.Errorf("deliveries taken: %q", ch.got)
	}
	// Off without a receiver.
	off := httptest.NewServer(server.Handler(server.Config{Daemon: &fakeDaemon{}, Store: st}))
	t.Cleanup(off.Close)
	if code, _ := do(t, "POST", off.URL+"/api/hooks/channel/shopify", "{}", nil); code != 404 {
		t.Errorf("without receiver: %d", code)
	}
}
