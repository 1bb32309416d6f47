// Package notify tells people about what accord run cannot settle alone:
// it posts events (an exception opened, an apply that failed, a commit
// refused, a plan waiting for approval) to the webhooks of the spec's
// notify blocks, as JSON or as Slack messages, without ever making the
// reconcile loop wait for them.
//
// Each target has a bounded queue of its own: Send only appends (dropping
// and counting the oldest event when the queue is full), and Run delivers
// in order, retrying a post with backoff on network errors, 5xx and 429
// (honouring Retry-After) before giving it up. A webhook's address is a
// credential: it is never logged, and errors are stripped of it.
//
// It does not decide what is worth telling (the loop does) nor keep
// anything across restarts: an event still queued when the process ends
// is lost.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/accordhq/accord/spec"
)

// Event is something a person should hear about.
type Event struct {
	Kind     string // exception_opened, apply_failed, commit_refused, plan_pending (spec.NotifyEvents)
	Severity string // info, warning, error (spec.NotifySeverities)
	Title    string // one line for people
	Text     string // details
	Commit   string // the spec commit, when known
	// Channel and SKU say what the event is about, when it is about one.
	Channel, SKU string
	// At is when it happened; Send sets it to now when it is zero.
	At time.Time
	// Fields are extra values (an exception's code, a plan's count of
	// changes...); money is written as a decimal string.
	Fields map[string]string
}

// Stats counts one target's events.
type Stats struct {
	Sent    uint64 // delivered (a 2xx answer)
	Failed  uint64 // given up: a 4xx, or retries spent
	Dropped uint64 // pushed out of a full queue before they could be sent
	Queued  int    // waiting now
}

// QueueSize is how many events wait per target; when one more comes, the
// oldest is dropped.
const QueueSize = 100

// The delivery bounds: attempts per event, the backoff between them, the
// longest Retry-After honoured (a longer one is waited this long), and
// how long one attempt may take.
const (
	maxAttempts    = 5
	initialBackoff = time.Second
	maxBackoff     = 30 * time.Second
	maxRetryAfter  = 5 * time.Minute
	attemptTimeout = 15 * time.Second
)

// Notifier delivers events to targets. Send may be called from any
// goroutine, before, during or after Run.
type Notifier struct {
	targets []*target
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	// wait sleeps between attempts; tests replace it to see the waits
	// without spending them.
	wait func(ctx context.Context, d time.Duration) error
}

// target is a Target with its queue and counts.
type target struct {
	Target
	events  map[string]bool // nil: every kind
	minRank int

	mu      sync.Mutex
	queue   []Event // oldest first, at most QueueSize
	stats   Stats
	wake    chan struct{} // one pending signal: the queue is not empty
	unknown bool          // an unknown severity was already logged
}

// New makes a notifier for the targets. client is used for every post
// (nil: a default client); log receives failures and drops, naming the
// target, never its address; now stamps events without a time and reads
// Retry-After dates.
func New(targets []Target, client *http.Client, log *slog.Logger, now func() time.Time) *Notifier {
	if client == nil {
		client = &http.Client{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	n := &Notifier{client: client, log: log, now: now, wait: sleep}
	for _, t := range targets {
		tt := &target{Target: t, wake: make(chan struct{}, 1)}
		if len(t.Events) > 0 {
			tt.events = make(map[string]bool, len(t.Events))
			for _, e := range t.Events {
				tt.events[e] = true
			}
		}
		if tt.MinSeverity == "" {
			tt.MinSeverity = spec.SeverityWarning
		}
		tt.minRank, _ = spec.SeverityRank(tt.MinSeverity)
		n.targets = append(n.targets, tt)
	}
	return n
}

// Send queues the event for every target that takes its kind and
// severity, and returns at once: it never waits for a post.
func (n *Notifier) Send(e Event) {
	if e.At.IsZero() {
		e.At = n.now()
	}
	if e.Fields != nil {
		f := make(map[string]string, len(e.Fields))
		for k, v := range e.Fields {
			f[k] = v
		}
		e.Fields = f
	}
	rank, known := spec.SeverityRank(e.Severity)
	for _, t := range n.targets {
		if t.events != nil && !t.events[e.Kind] {
			continue
		}
		if !known {
			t.mu.Lock()
			first := !t.unknown
			t.unknown = true
			t.mu.Unlock()
			if first {
				n.log.Warn("event of an unknown severity not sent", slog.String("notify", t.Name), slog.String("kind", e.Kind), slog.String("severity", e.Severity))
			}
			continue
		}
		if rank < t.minRank {
			continue
		}
		t.push(n.log, e)
	}
}

func (t *target) push(log *slog.Logger, e Event) {
	t.mu.Lock()
	var dropped *Event
	if len(t.queue) >= QueueSize {
		d := t.queue[0]
		dropped = &d
		t.queue = append(t.queue[:0], t.queue[1:]...)
		t.stats.Dropped++
	}
	t.queue = append(t.queue, e)
	count := t.stats.Dropped
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	// The first drop says the endpoint is not keeping up; after that one
	// line in a hundred, so that a storm does not flood the log too.
	if dropped != nil && (count == 1 || count%100 == 0) {
		log.Warn("notification queue full: the oldest event was dropped", slog.String("notify", t.Name),
			slog.String("kind", dropped.Kind), slog.Uint64("dropped", count))
	}
}

// pop takes the oldest event.
func (t *target) pop() (Event, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		return Event{}, false
	}
	e := t.queue[0]
	t.queue[0] = Event{}
	t.queue = t.queue[1:]
	return e, true
}

// requeue puts an event interrupted by the end of Run back at the front,
// unless newer events filled the queue meanwhile.
func (t *target) requeue(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) >= QueueSize {
		t.stats.Dropped++
		return
	}
	t.queue = append([]Event{e}, t.queue...)
}

func (t *target) count(f func(*Stats)) {
	t.mu.Lock()
	f(&t.stats)
	t.mu.Unlock()
}

// Stats returns every target's counts by name, for metrics.
func (n *Notifier) Stats() map[string]Stats {
	out := make(map[string]Stats, len(n.targets))
	for _, t := range n.targets {
		t.mu.Lock()
		s := t.stats
		s.Queued = len(t.queue)
		t.mu.Unlock()
		out[t.Name] = s
	}
	return out
}

// Run delivers queued events until ctx ends, each target in order and
// independently of the others. It returns once every post in flight has
// stopped; an event interrupted by the end goes back to its queue.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, t := range n.targets {
		wg.Go(func() { n.deliver(ctx, t) })
	}
	wg.Wait()
}

func (n *Notifier) deliver(ctx context.Context, t *target) {
	for {
		e, ok := t.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-t.wake:
				continue
			}
		}
		if ctx.Err() != nil {
			t.requeue(e)
			return
		}
		attempts, err := n.post(ctx, t, e)
		switch {
		case err == nil:
			t.count(func(s *Stats) { s.Sent++ })
			n.log.Debug("notification sent", slog.String("notify", t.Name), slog.String("kind", e.Kind), slog.Int("attempts", attempts))
		case ctx.Err() != nil:
			t.requeue(e)
			return
		default:
			t.count(func(s *Stats) { s.Failed++ })
			n.log.Warn("notification not delivered", slog.String("notify", t.Name), slog.String("kind", e.Kind),
				slog.Int("attempts", attempts), slog.String("error", err.Error()))
		}
	}
}

// post sends one event, retrying what may pass later. It returns the
// attempts made and the last error.
func (n *Notifier) post(ctx context.Context, t *target, e Event) (int, error) {
	data, err := body(t.Format, e)
	if err != nil {
		return 0, fmt.Errorf("encode the event: %w", err)
	}
	bo := &backoff.ExponentialBackOff{InitialInterval: initialBackoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: maxBackoff}
	bo.Reset()
	for attempt := 1; ; attempt++ {
		err := n.attempt(ctx, t, data)
		if err == nil {
			return attempt, nil
		}
		var se *statusError
		retry := !errors.As(err, &se) || se.retryable()
		if !retry || attempt >= maxAttempts || ctx.Err() != nil {
			return attempt, err
		}
		d := bo.NextBackOff()
		if se != nil && se.retryAfter > 0 {
			d = min(se.retryAfter, maxRetryAfter)
		}
		if err := n.wait(ctx, d); err != nil {
			return attempt, err
		}
	}
}

// statusError is an answer other than 2xx.
type statusError struct {
	code       int
	message    string // the start of the answer's body, on one line
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("the webhook answered %d %s", e.code, http.StatusText(e.code))
	if e.message != "" {
		s += ": " + e.message
	}
	return s
}

func (e *statusError) retryable() bool {
	return e.code == http.StatusTooManyRequests || e.code >= 500
}

func (n *Notifier) attempt(ctx context.Context, t *target, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, string(t.URL), bytes.NewReader(data))
	if err != nil {
		return errors.New("the webhook's address cannot be posted to")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "accord")
	resp, err := n.client.Do(req)
	if err != nil {
		return withoutURL(err)
	}
	defer func() {
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	se := &statusError{code: resp.StatusCode, message: oneLine(strings.ToValidUTF8(string(head), ""))}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		se.retryAfter = retryAfter(resp.Header.Get("Retry-After"), n.now())
	}
	return se
}

// withoutURL strips the request's address from a client error: net/http
// writes it into every *url.Error, and a webhook's address is its
// credential.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("post: %w", ue.Err)
	}
	return err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
