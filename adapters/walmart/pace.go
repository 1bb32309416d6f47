package walmart

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
)

// Walmart's rate-limit headers, on every answer (see the package comment).
const (
	hdrCallsLeft   = "X-Current-Token-Count"
	hdrReplenishAt = "X-Next-Replenishment-Time"
)

// How far the headers are believed.
const (
	// maxHold is the longest the headers hold an operation, and the
	// longest window they pace it over: a replenishment time further
	// ahead counts as this far.
	maxHold = time.Hour
	// maxAhead is the furthest a replenishment time may be: Walmart's
	// windows are an hour or a day, so one further ahead is garbage and
	// the answer's headers are ignored.
	maxAhead = 25 * time.Hour
	// maxTokens is the largest token count believed.
	maxTokens = 1_000_000_000
	// maxLearned is the fastest the headers pace an operation whose rate
	// Walmart does not document, without call_rate: the most call_rate
	// allows.
	maxLearned = 10_000
)

// allowance is what one answer's headers say of its operation's window:
// the calls left in it and how long until it ends (at most maxHold).
type allowance struct {
	left  int64
	until time.Duration
}

// readAllowance reads X-Current-Token-Count and X-Next-Replenishment-Time
// at now. ok is false unless both are there and make sense: a count that
// is not a whole number from 0 to maxTokens, a replenishment time that
// does not parse, is past, or is more than maxAhead away.
func readAllowance(h http.Header, now time.Time) (allowance, bool) {
	cv, tv := strings.TrimSpace(h.Get(hdrCallsLeft)), strings.TrimSpace(h.Get(hdrReplenishAt))
	if cv == "" || tv == "" {
		return allowance{}, false
	}
	left, err := strconv.ParseInt(cv, 10, 64)
	if err != nil || left < 0 || left > maxTokens {
		return allowance{}, false
	}
	at, ok := parseReplenishAt(tv)
	if !ok {
		return allowance{}, false
	}
	d := at.Sub(now)
	if d <= 0 || d > maxAhead {
		return allowance{}, false
	}
	return allowance{left: left, until: min(d, maxHold)}, true
}

// parseReplenishAt reads X-Next-Replenishment-Time. Walmart's pages say
// only that it is the time the window ends; the format is unconfirmed, so
// it takes epoch milliseconds (the form of every other time in the API's
// answers), epoch seconds, RFC 3339 and HTTP dates. A number too small to
// be an epoch time of this century (a count of seconds to wait, perhaps) is
// not taken.
func parseReplenishAt(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n >= 1e12 && n < 1e15: // milliseconds: 2001 to 33658
			return time.UnixMilli(n), true
		case n >= 1e9 && n < 1e11: // seconds: 2001 to 5138
			return time.Unix(n, 0), true
		}
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// learns says whether the headers pace o: not bulkUpload, whose limits are
// per feed type and paced by each type's bucket (see feedQueue), while its
// operation bucket is shared by every type.
func (o op) learns() bool { return o.rate != adapters.Unlimited }

// ceiling is the fastest the headers may pace o: call_rate when set (an
// explicit rate the headers never raise), the documented rate of an
// operation that has one, else maxLearned.
func (c *Channel) ceiling(o op) rate.Limit {
	switch {
	case o.rate != guessed:
		return o.rate.Limit
	case c.cfg.CallRate > 0:
		return rate.Limit(c.cfg.CallRate)
	}
	return maxLearned
}

// learn paces o's bucket by an answer's allowance: no calls left holds the
// operation until the window ends; otherwise the calls left are spread
// evenly over the rest of the window, one at a time, never faster than
// ceiling. An allowance with more room than the guessed rate speeds the
// operation up; one with less slows it down before Walmart answers 429.
func (c *Channel) learn(b *adapters.Bucket, o op, a allowance) {
	if !o.learns() {
		return
	}
	if a.left == 0 {
		b.Hold(a.until)
		return
	}
	limit := min(rate.Limit(float64(a.left)/a.until.Seconds()), c.ceiling(o))
	b.Learn(adapters.Rate{Limit: limit, Burst: 1})
}
