package adapters

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// The failures an adapter reports, each typed by what the caller does next:
//
//	*ThrottledError    wait (Retry-After), then retry
//	*TemporaryError    retry with backoff; Timeout: the outcome is unknown
//	*RejectedError     never retry this change; a person must look
//	*ConflictError     observe again, recompute, retry (compare-and-set)
//	*AuthError         stop calling the channel: credentials refused
//	*BadResponseError  the channel answered outside its documented shape
//	*ConfigError       the channel block's config is wrong
//
// Observe returns one of them (wrapped with context) for the whole read;
// Apply puts one in each Result that did not land.

// ThrottledError is a refusal for the rate limit (HTTP 429): retry after
// RetryAfter (zero when the channel did not say).
type ThrottledError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *ThrottledError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("throttled, retry after %s: %s", e.RetryAfter, e.Message)
	}
	return "throttled: " + e.Message
}

// TemporaryError is a failure that may pass on retry: a server error, a
// timeout, one item of a batch that failed for a transient reason.
type TemporaryError struct {
	Message string
	// Timeout reports that the request timed out or its answer was lost,
	// or that the answer does not say whether this change was taken (an
	// item of a batch another item of which was refused, where the
	// channel does not document the batch as all or nothing): the channel
	// may have taken the change, so its outcome is unknown until the
	// listing is observed.
	Timeout bool
}

func (e *TemporaryError) Error() string { return e.Message }

// RejectedError is a change the channel refused for good (a validation
// error); retrying it cannot help.
type RejectedError struct {
	Reason string
}

func (e *RejectedError) Error() string { return "rejected: " + e.Reason }

// ConflictError is a compare-and-set quantity write whose expected quantity
// no longer holds: the channel's quantity moved (an order) since observe.
// Current is the channel's quantity now, when it said.
type ConflictError struct {
	Current Value
}

func (e *ConflictError) Error() string {
	if e.Current.Set {
		return "quantity changed on the channel since it was observed (now " + e.Current.Text + ")"
	}
	return "quantity changed on the channel since it was observed"
}

// AuthError is the channel refusing the credentials (HTTP 401 or 403, an
// expired refresh token): calling again will not help until a person fixes
// them.
type AuthError struct {
	Message string
}

func (e *AuthError) Error() string { return "credentials refused: " + e.Message }

// BadResponseError is an answer outside the channel's documented shape
// (malformed JSON, a missing field, an unknown status).
type BadResponseError struct {
	Message string
}

func (e *BadResponseError) Error() string { return "unexpected answer: " + e.Message }

// ConfigError is a config block the adapter could not accept; Diags point at
// the attributes.
type ConfigError struct {
	Channel string
	Diags   hcl.Diagnostics
}

// Error names every problem of the config block, not only the first: the
// environment variables a spec reads with env() and that are not set are
// listed together, so that a person sets them all at once.
func (e *ConfigError) Error() string {
	var missing, other []string
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if m := unsetEnv.FindStringSubmatch(d.Detail); m != nil {
			missing = append(missing, m[1])
			continue
		}
		// As hcl.Diagnostic's own Error writes it.
		other = append(other, d.Error())
	}
	if len(missing) == 0 && len(other) == 0 {
		return fmt.Sprintf("channel %s: config: %s", e.Channel, e.Diags.Error())
	}
	sort.Strings(missing)
	var parts []string
	switch len(missing) {
	case 0:
	case 1:
		parts = append(parts, fmt.Sprintf("environment variable %s is not set", missing[0]))
	default:
		parts = append(parts, fmt.Sprintf("environment variables %s are not set", strings.Join(missing, ", ")))
	}
	parts = append(parts, other...)
	return fmt.Sprintf("channel %s: config: %s", e.Channel, strings.Join(parts, "; "))
}

// unsetEnv is the detail of an env() call whose variable is not set.
var unsetEnv = regexp.MustCompile(`environment variable (\S+?) is not set`)

// Reason is why a channel could not be observed or written, in a word that
// status pages, exceptions and metrics share.
type Reason string

// The reasons.
const (
	ReasonAuth        Reason = "auth"
	ReasonThrottled   Reason = "throttled"
	ReasonUnreachable Reason = "unreachable"
	ReasonBadResponse Reason = "bad_response"
	ReasonConfig      Reason = "config"
	ReasonUnavailable Reason = "unavailable"
	ReasonCancelled   Reason = "cancelled"
	ReasonFailed      Reason = "failed"
)

// ErrUnavailable is a channel kind the spec language knows whose adapter is
// not in this build.
var ErrUnavailable = errors.New("no adapter in this build of accord yet")

// ReasonOf classifies an error from an adapter.
func ReasonOf(err error) Reason {
	var (
		te   *ThrottledError
		tmp  *TemporaryError
		auth *AuthError
		bad  *BadResponseError
		cfg  *ConfigError
		ne   net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &auth):
		return ReasonAuth
	case errors.As(err, &te):
		return ReasonThrottled
	case errors.As(err, &cfg):
		return ReasonConfig
	case errors.Is(err, ErrUnavailable):
		return ReasonUnavailable
	case errors.As(err, &bad):
		return ReasonBadResponse
	case errors.Is(err, context.Canceled):
		return ReasonCancelled
	case errors.As(err, &tmp), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return ReasonUnreachable
	}
	return ReasonFailed
}
