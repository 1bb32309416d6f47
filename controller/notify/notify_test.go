package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/spec"
)

var clock = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

func now() time.Time { return clock }

// request is one post a fake webhook received.
type request struct {
	path, contentType string
	body              []byte
}

// hook is a fake webhook: it records every post and answers with respond
// (200 when nil), which sees the post's 0-based number.
type hook struct {
	*httptest.Server
	got     chan request
	mu      sync.Mutex
	n       int
	respond func(i int, w http.ResponseWriter, r *http.Request)
}

func newHook(t *testing.T, respond func(i int, w http.ResponseWriter, r *http.Request)) *hook {
	t.Helper()
	h := &hook{got: make(chan request, 4*QueueSize), respond: respond}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		i := h.n
		h.n++
		h.mu.Unlock()
		h.got <- request{path: r.URL.Path, contentType: r.Header.Get("Content-Type"), body: body}
		if h.respond != nil {
			h.respond(i, w, r)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) posts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// next waits for the hook's next post. The bound only keeps a broken test
// from hanging; nothing is measured against it.
func (h *hook) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-h.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook received nothing")
		return request{}
	}
}

// waits records the waits between attempts instead of spending them.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

// logBuffer is a log that tests read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// start makes a notifier for the targets with recorded waits and a log
// that the test reads, and runs it until the test ends (or stop is
// called). stop returns once Run has.
func start(t *testing.T, targets ...Target) (n *Notifier, w *waits, log *logBuffer, stop func()) {
	t.Helper()
	log = &logBuffer{}
	n = New(targets, nil, slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})), now)
	w = &waits{}
	n.wait = w.wait
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.Run(ctx)
		close(done)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return n, w, log, stop
}

// settle waits until the target's events are all sent or failed.
func settle(t *testing.T, n *Notifier, name string, want uint64) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := n.Stats()[name]
		if s.Sent+s.Failed >= want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %+v, want %d settled", name, s, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestJSONBody(t *testing.T) {
	h := newHook(t, nil)
	n, _, _, _ := start(t, Target{Name: "ops", URL: SecretURL(h.URL + "/hook"), Format: spec.NotifyJSON})
	n.Send(Event{
		Kind: spec.EventApplyFailed, Severity: spec.SeverityError,
		Title: "3 changes failed\non amazon_us", Text: "throttled", Commit: "9f2c1e0",
		Channel: "amazon_us", SKU: "HP-01",
		At:     time.Date(2026, 11, 27, 6, 30, 0, 0, time.FixedZone("EST", -5*3600)),
		Fields: map[string]string{"failed": "3", "price": "43.99"},
	})
	n.Send(Event{Kind: spec.EventCommitRefused, Severity: spec.SeverityWarning, Title: "no time given"})

	r := h.next(t)
	if r.path != "/hook" || r.contentType != "application/json" {
		t.Errorf("posted to %s as %q", r.path, r.contentType)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	want := map[string]any{
		"kind": "apply_failed", "severity": "error", "title": "3 changes failed on amazon_us",
		"text": "throttled", "commit": "9f2c1e0", "channel": "amazon_us", "sku": "HP-01",
		"at": "2026-11-27T11:30:00Z", "fields": map[string]any{"failed": "3", "price": "43.99"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}

	r = h.next(t)
	got = nil
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"kind": "commit_refused", "severity": "warning", "title": "no time given", "at": "2026-11-27T05:00:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("an event without a time, channel or fields (-want +got):\n%s", diff)
	}
}

// TestFilter: each target gets the kinds it names at or above its
// severity, and the default is every kind from warning up.
func TestFilter(t *testing.T) {
	h := newHook(t, nil)
	n, _, _, _ := start(t,
		Target{Name: "errors", URL: SecretURL(h.URL + "/errors"), Events: []string{spec.EventApplyFailed, spec.EventCommitRefused}, MinSeverity: spec.SeverityError},
		Target{Name: "default", URL: SecretURL(h.URL + "/default")},
		Target{Name: "all", URL: SecretURL(h.URL + "/all"), MinSeverity: spec.SeverityInfo},
	)
	for _, e := range []Event{
		{Kind: spec.EventApplyFailed, Severity: spec.SeverityError},       // errors, default, all
		{Kind: spec.EventApplyFailed, Severity: spec.SeverityWarning},     // default, all
		{Kind: spec.EventExceptionOpened, Severity: spec.SeverityError},   // default, all
		{Kind: spec.EventPlanPending, Severity: spec.SeverityInfo},        // all
		{Kind: spec.EventCommitRefused, Severity: "fatal"},                // none: not a severity
		{Kind: spec.EventCommitRefused, Severity: spec.SeverityError},     // errors, default, all
		{Kind: spec.EventExceptionOpened, Severity: spec.SeverityInfo},    // all
		{Kind: spec.EventExceptionOpened, Severity: spec.SeverityWarning}, // default, all
	} {
		n.Send(e)
	}
	want := map[string]uint64{"errors": 2, "default": 5, "all": 7}
	for name, c := range want {
		settle(t, n, name, c)
	}
	got := map[string]uint64{}
	for name, s := range n.Stats() {
		got[name] = s.Sent
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sent per target (-want +got):\n%s", diff)
	}
}

func TestRetryServerErrorsThenSent(t *testing.T) {
	h := newHook(t, func(i int, w http.ResponseWriter, _ *http.Request) {
		if i < 2 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	n, w, _, _ := start(t, Target{Name: "ops", URL: SecretURL(h.URL)})
	n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError, Title: "x"})
	s := settle(t, n, "ops", 1)
	if s.Sent != 1 || h.posts() != 3 {
		t.Errorf("stats %+v after %d posts; want sent after 3", s, h.posts())
	}
	ws := w.all()
	if len(ws) != 2 {
		t.Fatalf("waits %v, want 2", ws)
	}
	// Exponential, jittered by half: 1s then 2s.
	for i, d := range ws {
		base := initialBackoff << i
		if d < base/2 || d > base*3/2 {
			t.Errorf("wait %d is %s, want about %s", i, d, base)
		}
	}
}

// TestRetryAfterHonoured: a 429's Retry-After, in seconds or as a date, is
// the wait before the next attempt, up to a bound.
func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{clock.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"86400", maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			h := newHook(t, func(i int, w http.ResponseWriter, _ *http.Request) {
				if i == 0 {
					w.Header().Set("Retry-After", tt.header)
					w.WriteHeader(http.StatusTooManyRequests)
				}
			})
			n, w, _, _ := start(t, Target{Name: "ops", URL: SecretURL(h.URL)})
			n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError})
			if s := settle(t, n, "ops", 1); s.Sent != 1 {
				t.Errorf("stats %+v", s)
			}
			if diff := cmp.Diff([]time.Duration{tt.want}, w.all()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGivesUpAfterBound(t *testing.T) {
	h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	n, w, log, _ := start(t, Target{Name: "ops", URL: SecretURL(h.URL)})
	n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError})
	n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError})
	s := settle(t, n, "ops", 2)
	if s.Failed != 2 || s.Sent != 0 || h.posts() != 2*maxAttempts || len(w.all()) != 2*(maxAttempts-1) {
		t.Errorf("stats %+v after %d posts and %d waits; want 2 failed after %d attempts each", s, h.posts(), len(w.all()), maxAttempts)
	}
	if !strings.Contains(log.String(), `"notify":"ops"`) || !strings.Contains(log.String(), "503") {
		t.Errorf("the failure is not logged with the target and the status:\n%s", log)
	}
}

func TestClientErrorNotRetried(t *testing.T) {
	h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "invalid_payload\n")
	})
	n, w, log, _ := start(t, Target{Name: "ops", URL: SecretURL(h.URL)})
	n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError})
	s := settle(t, n, "ops", 1)
	if s.Failed != 1 || h.posts() != 1 || len(w.all()) != 0 {
		t.Errorf("stats %+v after %d posts and waits %v; want one post, failed", s, h.posts(), w.all())
	}
	if !strings.Contains(log.String(), "400 Bad Request: invalid_payload") {
		t.Errorf("the log does not say what the webhook answered:\n%s", log)
	}
}

// TestURLNeverLogged: a network error (net/http writes the address into
// it) is retried, and neither the log nor the notifier's printed values
// hold the address.
func TestURLNeverLogged(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	addr := dead.URL + "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
	dead.Close()
	tgt := Target{Name: "ops", URL: SecretURL(addr)}
	n, w, log, _ := start(t, tgt)
	n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError})
	if s := settle(t, n, "ops", 1); s.Failed != 1 || len(w.all()) != maxAttempts-1 {
		t.Errorf("stats %+v after waits %v; want a failure after %d attempts", s, w.all(), maxAttempts)
	}
	if !strings.Contains(log.String(), "connect") {
		t.Errorf("the log does not say why:\n%s", log)
	}
	var printed bytes.Buffer
	js, err := json.Marshal(tgt)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&printed, "%v %+v %#v %s %s", tgt, tgt, tgt, tgt.URL, js)
	slog.New(slog.NewTextHandler(&printed, nil)).Info("target", slog.Any("target", tgt), slog.Any("url", tgt.URL))
	for name, out := range map[string]string{"log": log.String(), "printed": printed.String()} {
		if strings.Contains(out, "XXXXXXXX") || strings.Contains(out, "/services/") {
			t.Errorf("the %s holds the address:\n%s", name, out)
		}
	}
}

// TestDeadEndpointNeverBlocks: while a post hangs, Send still returns at
// once (the queue drops its oldest), and ending Run's context stops the
// hanging post.
func TestDeadEndpointNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := newHook(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	n, _, _, stop := start(t, Target{Name: "ops", URL: SecretURL(h.URL)})
	n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError, Title: "first"})
	h.next(t) // the first post hangs from here on

	const more = QueueSize + 50
	for i := range more {
		n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError, Title: fmt.Sprint(i)})
	}
	if s := n.Stats()["ops"]; s.Queued != QueueSize || s.Dropped != more-QueueSize {
		t.Errorf("while the post hangs: %+v, want %d queued and %d dropped", s, QueueSize, more-QueueSize)
	}

	stop() // fails the test if Run does not return
	// The interrupted event found the queue full: it is dropped too.
	if s := n.Stats()["ops"]; s.Sent != 0 || s.Failed != 0 || s.Dropped != more-QueueSize+1 || s.Queued != QueueSize {
		t.Errorf("after Run: %+v", s)
	}
}

// TestDropsOldest: a full queue keeps the newest events, in order.
func TestDropsOldest(t *testing.T) {
	h := newHook(t, nil)
	log := &logBuffer{}
	n := New([]Target{{Name: "ops", URL: SecretURL(h.URL)}}, h.Client(), slog.New(slog.NewJSONHandler(log, nil)), now)
	for i := range QueueSize + 3 {
		n.Send(Event{Kind: spec.EventApplyFailed, Severity: spec.SeverityError, Title: fmt.Sprint(i)})
	}
	if s := n.Stats()["ops"]; s.Dropped != 3 || s.Queued != QueueSize {
		t.Errorf("before Run: %+v", s)
	}
	if strings.Count(log.String(), "queue full") != 1 {
		t.Errorf("want the first drop logged once:\n%s", log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	for i := range QueueSize {
		var e struct{ Title string }
		if err := json.Unmarshal(h.next(t).body, &e); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(i + 3); e.Title != want {
			t.Fatalf("post %d is event %s, want %s", i, e.Title, want)
		}
	}
	s := settle(t, n, "ops", QueueSize)
	cancel()
	<-done
	if s.Sent != QueueSize || s.Queued != 0 {
		t.Errorf("after Run: %+v", s)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	for _, tt := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-3", 0}, {"12", 12 * time.Second}, {"soon", 0},
		{clock.Add(-time.Minute).Format(http.TimeFormat), 0},
		{clock.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
	} {
		if got := retryAfter(tt.h, clock); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.h, got, tt.want)
		}
	}
}
