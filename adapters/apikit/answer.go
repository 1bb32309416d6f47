package apikit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accordhq/accord/adapters"
)

// MaxAnswer is the most of an answer's body Do reads.
const MaxAnswer = 64 << 20

// Answer is a channel's answer, read whole.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req with hc and reads the answer. A failure to send or to read
// is a *adapters.TemporaryError whose Timeout is set for every method but
// GET and HEAD (the channel may have taken a write whose answer was lost);
// a cancelled ctx is ctx's error. op names the call in messages.
func Do(ctx context.Context, hc *http.Client, op string, req *http.Request) (*Answer, error) {
	write := req.Method != http.MethodGet && req.Method != http.MethodHead
	resp, err := hc.Do(req) //nolint:gosec // G704: the URL is the channel endpoint of the spec's config
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &adapters.TemporaryError{Message: op + ": " + err.Error(), Timeout: write}
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &adapters.TemporaryError{Message: op + ": reading the answer: " + err.Error(), Timeout: write}
	}
	return &Answer{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// OK reports a 2xx status.
func (a *Answer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Snippet is the start of the answer, for a message.
func (a *Answer) Snippet() string { return Snippet(a.Body, a.Header) }

// Failure classifies a non-2xx answer as one of adapters' failures, by its
// status alone: 429 throttled (with Retry-After), 401 and 403 credentials
// refused, 5xx temporary (a 504 to a write of unknown outcome), 400, 409,
// 413, 415 and 422 rejected, anything else an unexpected answer. detail
// says what the channel said (its error list, or Snippet when it sent
// none); op names the call. write says the request was a write.
func (a *Answer) Failure(op string, write bool, detail string) error {
	if detail == "" {
		detail = a.Snippet()
	}
	msg := fmt.Sprintf("%s: HTTP %d: %s", op, a.Status, detail)
	switch code := a.Status; {
	case code == http.StatusTooManyRequests:
		return &adapters.ThrottledError{RetryAfter: RetryAfter(a.Header), Message: msg}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return &adapters.AuthError{Message: msg}
	case code >= 500:
		return &adapters.TemporaryError{Message: msg, Timeout: write && code == http.StatusGatewayTimeout}
	case code == http.StatusBadRequest, code == http.StatusConflict, code == http.StatusRequestEntityTooLarge,
		code == http.StatusUnsupportedMediaType, code == http.StatusUnprocessableEntity:
		return &adapters.RejectedError{Reason: msg}
	}
	return &adapters.BadResponseError{Message: msg}
}

// BadJSON is the failure for a 2xx answer whose body did not decode.
func (a *Answer) BadJSON(op string, err error) error {
	return &adapters.BadResponseError{Message: fmt.Sprintf("%s answered HTTP %d with %s: %s", op, a.Status, err, a.Snippet())}
}

// RetryAfter is the wait a Retry-After header asks for, in seconds or as an
// HTTP date; zero when there is none or it cannot be read.
func RetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// Snippet shows the start of an answer that is not what was expected, on
// one line, with its content type.
func Snippet(raw []byte, h http.Header) string {
	const limit = 200
	s := string(raw)
	if len(s) > limit {
		s = s[:limit]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "..."
	}
	s = strings.Join(strings.Fields(s), " ")
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	if s == "" {
		return "an empty answer (" + ct + ")"
	}
	return fmt.Sprintf("%q (%s)", s, ct)
}

// IsWrite reports whether method may change something on the channel.
func IsWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// Results is n Results all carrying err: a whole request that failed.
func Results(n int, err error) []adapters.Result {
	out := make([]adapters.Result, n)
	for i := range out {
		out[i].Err = err
	}
	return out
}

// Cancelled reports whether err is a context's end.
func Cancelled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
