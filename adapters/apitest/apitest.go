// Package apitest is what every fake channel API in accord's tests shares:
// failures injected by a test (Fail), per-operation rate limits answered
// 429 (SetLimit), call counters (Calls, Throttled), the request log golden
// files are made of (Requests), the bookkeeping of requests outside the
// API's definition (AllowInvalid, Invalid), writing a JSON answer, and
// embedded JSON Schemas compiled once and validated against.
//
// A fake holds a Ledger and keeps its own exported methods, which delegate
// to it: what a fake answers, and when, stays the fake's.
package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Failure is an answer a test queued with Fail.
type Failure struct {
	// Op is the operation it answers, "" for any.
	Op          string
	Status      int
	ContentType string
	Body        string
}

// Write writes the failure: its content type (when not empty), status and
// body.
func (fl Failure) Write(w http.ResponseWriter) {
	if fl.ContentType != "" {
		w.Header().Set("Content-Type", fl.ContentType)
	}
	w.WriteHeader(fl.Status)
	_, _ = io.WriteString(w, fl.Body)
}

// Ledger is what a fake API keeps of the requests it serves, and what a
// test asks of it. The zero Ledger is ready; its methods are safe to call
// while a client runs.
type Ledger struct {
	mu        sync.Mutex
	failures  []Failure
	limits    map[string]*rate.Limiter
	calls     map[string]int
	throttled int
	requests  []string
	invalid   []string
	allowBad  bool
}

// Fail queues an answer for the next request of operation op (any when
// ""): status, content type and body.
func (l *Ledger) Fail(status int, op, contentType, body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, Failure{Op: op, Status: status, ContentType: contentType, Body: body})
}

// Failure writes the first failure queued for op, or for any operation,
// and says whether there was one.
func (l *Ledger) Failure(w http.ResponseWriter, op string) bool {
	return l.take(w, func(fl Failure) bool { return fl.Op == "" || fl.Op == op })
}

// NamedFailure writes the first failure queued for op by name (not one for
// any operation), and says whether there was one.
func (l *Ledger) NamedFailure(w http.ResponseWriter, op string) bool {
	return l.take(w, func(fl Failure) bool { return fl.Op == op })
}

func (l *Ledger) take(w http.ResponseWriter, match func(Failure) bool) bool {
	l.mu.Lock()
	i := slices.IndexFunc(l.failures, match)
	if i < 0 {
		l.mu.Unlock()
		return false
	}
	fl := l.failures[i]
	l.failures = slices.Delete(l.failures, i, i+1)
	l.mu.Unlock()
	fl.Write(w)
	return true
}

// SetLimit enforces a rate on operation op: Limited says a request the
// limiter has no token for is over it. A nil limiter lifts it.
func (l *Ledger) SetLimit(op string, lim *rate.Limiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim == nil {
		delete(l.limits, op)
		return
	}
	if l.limits == nil {
		l.limits = map[string]*rate.Limiter{}
	}
	l.limits[op] = lim
}

// Limited says whether a request of op is over the limit SetLimit set on
// it, and counts it in Throttled if it is; the fake answers it 429, in its
// API's words. With slack 0 a request takes a token if there is one. With
// slack above 0, slack of network delay is forgiven: a request that would
// find a token slack later is taken, on credit repaid by the next, so a
// client pacing to the published rate on its own clock is not refused for
// jitter.
func (l *Ledger) Limited(op string, slack time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.limits[op]
	if lim == nil {
		return false
	}
	if slack == 0 {
		if lim.Allow() {
			return false
		}
		l.throttled++
		return true
	}
	now := time.Now()
	if lim.TokensAt(now.Add(slack)) < 1 {
		l.throttled++
		return true
	}
	lim.ReserveN(now, 1)
	return false
}

// Throttle counts a request the fake answered 429 by a limit of its own,
// not SetLimit's.
func (l *Ledger) Throttle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttled++
}

// Throttled is how many requests were answered 429 by a limit.
func (l *Ledger) Throttled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.throttled
}

// Call counts a request of operation op.
func (l *Ledger) Call(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[string]int{}
	}
	l.calls[op]++
}

// Calls is how many requests of operation op were counted.
func (l *Ledger) Calls(op string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[op]
}

// Record logs a request as line: a line of a golden file.
func (l *Ledger) Record(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, line)
}

// Recorded is how many requests were logged: a fake's request IDs.
func (l *Ledger) Recorded() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.requests)
}

// Requests are the lines logged, in order.
func (l *Ledger) Requests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// Line is a request as "METHOD path?query body" (" body" only when there
// is one).
func Line(r *http.Request, body []byte) string {
	line := r.Method + " " + r.URL.RequestURI()
	if len(body) > 0 {
		line += " " + string(body)
	}
	return line
}

// Reject records why a request is outside the API's definition, and says
// whether that should fail the test: it should unless AllowInvalid was
// called.
func (l *Ledger) Reject(why string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invalid = append(l.invalid, why)
	return !l.allowBad
}

// AllowInvalid makes requests outside the API's definition (still
// refused and recorded) no failure of the test: for tests that send them on
// purpose.
func (l *Ledger) AllowInvalid() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.allowBad = true
}

// Invalid is what Reject recorded, in order.
func (l *Ledger) Invalid() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.invalid)
}

// Unallowed is what Reject recorded, unless AllowInvalid was called: what
// should fail the test.
func (l *Ledger) Unallowed() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.allowBad {
		return nil
	}
	return slices.Clone(l.invalid)
}

// WriteJSON writes v as a JSON answer with status and contentType; a nil
// v writes no body. A v that does not encode fails the test.
func WriteJSON(t testing.TB, w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	if v == nil {
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Errorf("fake: encoding an answer: %v", err)
	}
	_, _ = w.Write(raw)
}
