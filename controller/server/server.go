// Package server is the daemon's HTTP interface: liveness and readiness,
// Prometheus metrics, the daemon's status, the exceptions and the plan
// waiting for approval as JSON, the approval itself, a manual sync, and the
// git push webhook. Endpoints that change something need a bearer token and
// are off without one; the webhook needs a valid HMAC-SHA256 signature of
// its body, as GitHub sends it. Every request is logged, and a handler that
// panics answers 500 instead of ending the process.
package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/loop"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
)

// Daemon is what the server needs of the loop.
type Daemon interface {
	Status() loop.Status
	Pending() *plan.Plan
	Approve(ctx context.Context, revision, by string) error
	Sync(trigger string)
}

// Config sets up the handler.
type Config struct {
	Daemon Daemon
	Store  *store.Store
	// Metrics serves /metrics; nil answers 404.
	Metrics http.Handler
	// Token is the bearer token of the endpoints that change something
	// (approve, sync); "" turns them off.
	Token string
	// HookSecret is the shared secret of the git push webhook; "" turns
	// it off.
	HookSecret string
	// Channels takes the channels' own webhooks (orders, inventory) at
	// /api/hooks/channel/NAME; nil answers 404.
	Channels ChannelHooks
	// Scales gives each channel's money places, for the plan's JSON.
	Scales func() map[string]int32
	Log    *slog.Logger
}

// ChannelHooks is what the server needs to take a channel's webhook: hand
// the delivery to the channel's adapter, which verifies it as the channel
// signs it (an error wrapping adapters.ErrBadSignature when it does not)
// and feeds its events to the running watch. reply, when not nil, is a JSON
// answer (a verification challenge).
type ChannelHooks interface {
	ChannelHook(ctx context.Context, channel string, r *http.Request, body []byte) (reply []byte, err error)
}

// maxBody bounds what a request may send.
const maxBody = 1 << 20

// Handler is the daemon's HTTP interface.
func Handler(cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Scales == nil {
		cfg.Scales = func() map[string]int32 { return nil }
	}
	s := &server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok\n") })
	mux.HandleFunc("GET /readyz", s.ready)
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	mux.HandleFunc("GET /api/status", s.status)
	mux.HandleFunc("GET /api/exceptions", s.exceptions)
	mux.HandleFunc("GET /api/plan", s.plan)
	mux.HandleFunc("POST /api/plan/approve", s.authorized(s.approve))
	mux.HandleFunc("POST /api/sync", s.authorized(s.sync))
	mux.HandleFunc("POST /api/hooks/git", s.hook)
	mux.HandleFunc("POST /api/hooks/channel/{name}", s.channelHook)
	// eBay validates an endpoint with a GET carrying a challenge.
	mux.HandleFunc("GET /api/hooks/channel/{name}", s.channelHook)
	return s.logged(s.recovered(mux))
}

type server struct {
	cfg Config
}

func (s *server) ready(w http.ResponseWriter, _ *http.Request) {
	st := s.cfg.Daemon.Status()
	if !st.Ready {
		writeText(w, http.StatusServiceUnavailable, "not ready: no reconcile has ended well yet\n")
		return
	}
	writeText(w, http.StatusOK, "ready\n")
}

// statusBody is /api/status.
type statusBody struct {
	loop.Status
	Lease *leaseBody `json:"lease"`
}

type leaseBody struct {
	Owner     string    `json:"owner"`
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Acquired  time.Time `json:"acquired"`
	ExpiresAt time.Time `json:"expires"`
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	body := statusBody{Status: s.cfg.Daemon.Status()}
	if s.cfg.Store != nil {
		l, err := s.cfg.Store.CurrentLease(r.Context())
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, err)
			return
		}
		if l != nil {
			body.Lease = &leaseBody{Owner: l.Owner, Host: l.Host, PID: l.PID, Acquired: l.Acquired, ExpiresAt: l.Expires}
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// exceptionBody is one exception as /api/exceptions gives it.
type exceptionBody struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Channel   string    `json:"channel"`
	SKU       string    `json:"sku,omitempty"`
	Field     string    `json:"field,omitempty"`
	Observed  *string   `json:"observed"`
	Expected  *string   `json:"expected"`
	Action    string    `json:"action"`
	Message   string    `json:"message"`
	Status    string    `json:"status"`
	Revision  string    `json:"revision"`
	Commit    string    `json:"commit,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Note      string    `json:"note,omitempty"`
}

func (s *server) exceptions(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Store == nil {
		writeJSON(w, http.StatusOK, []exceptionBody{})
		return
	}
	q := r.URL.Query()
	f := store.ExceptionFilter{Status: q.Get("status"), Channel: q.Get("channel"), Code: q.Get("code")}
	switch f.Status {
	case "", "all", store.StatusOpen, store.StatusAcknowledged, store.StatusResolved:
	default:
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("status %q: open, acknowledged, resolved or all", f.Status))
		return
	}
	ex, err := s.cfg.Store.Exceptions(r.Context(), f)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	commits := map[string]string{}
	out := make([]exceptionBody, 0, len(ex))
	for _, e := range ex {
		sha, ok := commits[e.Revision]
		if !ok && e.Revision != "" {
			c, found, err := s.cfg.Store.CommitOf(r.Context(), e.Revision)
			if err != nil {
				s.fail(w, r, http.StatusInternalServerError, err)
				return
			}
			if found {
				sha = c.SHA
			}
			commits[e.Revision] = sha
		}
		out = append(out, exceptionBody{ID: e.ID, Code: e.Code, Channel: e.Channel, SKU: e.SKU, Field: e.Field,
			Observed: text(e.Observed.Set, e.Observed.Text), Expected: text(e.Expected.Set, e.Expected.Text),
			Action: e.Action, Message: e.Message, Status: e.Status, Revision: e.Revision, Commit: sha,
			FirstSeen: e.FirstSeen, LastSeen: e.LastSeen, Note: e.Note})
	}
	writeJSON(w, http.StatusOK, out)
}

func text(set bool, s string) *string {
	if !set {
		return nil
	}
	return &s
}

// plan writes the plan waiting for approval, in the plan file's format;
// 404 when none waits.
func (s *server) plan(w http.ResponseWriter, r *http.Request) {
	p := s.cfg.Daemon.Pending()
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no plan waits for approval"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if err := p.WriteJSON(w, s.cfg.Scales()); err != nil {
		s.cfg.Log.Warn("writing the pending plan", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
}

// approve approves the pending plan's revision: {"revision": "sha256:..."}.
func (s *server) approve(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Revision string `json:"revision"`
		By       string `json:"by"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil || body.Revision == "" {
		s.fail(w, r, http.StatusBadRequest, errors.New(`send {"revision": "..."}, the pending plan's revision`))
		return
	}
	by := body.By
	if by == "" {
		by = "api"
	}
	if err := s.cfg.Daemon.Approve(r.Context(), body.Revision, by); err != nil {
		s.fail(w, r, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"approved": body.Revision})
}

func (s *server) sync(w http.ResponseWriter, _ *http.Request) {
	s.cfg.Daemon.Sync("api")
	writeJSON(w, http.StatusAccepted, map[string]string{"sync": "requested"})
}

// hook is the git push webhook: its body signed with the shared secret as
// GitHub's X-Hub-Signature-256 carries it ("sha256=" and the hex HMAC).
func (s *server) hook(w http.ResponseWriter, r *http.Request) {
	if s.cfg.HookSecret == "" {
		s.fail(w, r, http.StatusNotFound, errors.New("the git webhook is off: start accord run with --hook-secret (or ACCORD_HOOK_SECRET)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, err)
		return
	}
	if !ValidSignature(s.cfg.HookSecret, body, r.Header.Get("X-Hub-Signature-256")) {
		s.fail(w, r, http.StatusUnauthorized, errors.New("bad or missing X-Hub-Signature-256"))
		return
	}
	s.cfg.Daemon.Sync("webhook")
	writeJSON(w, http.StatusAccepted, map[string]string{"sync": "requested"})
}

// channelHook takes one webhook of a channel: 401 and nothing else for a
// delivery that does not verify, 404 for a channel that takes none, 503
// before the daemon watches, 200 once its events are on the watch feed.
func (s *server) channelHook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if s.cfg.Channels == nil {
		s.fail(w, r, http.StatusNotFound, errors.New("channel webhooks are off"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, err)
		return
	}
	reply, err := s.cfg.Channels.ChannelHook(r.Context(), name, r, body)
	switch {
	case errors.Is(err, adapters.ErrBadSignature):
		s.cfg.Log.Warn("channel webhook refused", slog.String("channel", name), slog.Any("err", err))
		s.fail(w, r, http.StatusUnauthorized, err)
		return
	case errors.Is(err, controller.ErrNoHooks):
		s.fail(w, r, http.StatusNotFound, err)
		return
	case errors.Is(err, loop.ErrNotWatching):
		w.Header().Set("Retry-After", "5")
		s.fail(w, r, http.StatusServiceUnavailable, err)
		return
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if reply != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(reply)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ValidSignature reports whether header ("sha256=<hex>") is the
// HMAC-SHA256 of body under secret.
func ValidSignature(secret string, body []byte, header string) bool {
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// authorized lets a request through with the bearer token; without a
// token configured the endpoint is off.
func (s *server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token == "" {
			s.fail(w, r, http.StatusForbidden, errors.New("endpoints that change something are off: start accord run with --api-token (or ACCORD_API_TOKEN)"))
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="accord"`)
			s.fail(w, r, http.StatusUnauthorized, errors.New("a valid bearer token is required"))
			return
		}
		h(w, r)
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logged logs every request: method, path, status and duration; probes
// and scrapes at debug.
func (s *server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		level := slog.LevelInfo
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			level = slog.LevelDebug
		}
		s.cfg.Log.Log(r.Context(), level, "http", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)), slog.String("remote", r.RemoteAddr))
	})
}

// recovered answers 500 when a handler panics, and logs the panic.
func (s *server) recovered(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is re-raised as net/http expects, never wrapped
					panic(v)
				}
				s.cfg.Log.Error("handler panicked", slog.String("path", r.URL.Path), slog.Any("panic", v))
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, code int, err error) {
	if code >= 500 {
		s.cfg.Log.Warn("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return // the client hung up: nothing left to tell it
	}
}

func writeText(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, s) // the client hung up
}
