package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
)

// maxBody is the most of an answer read: a page of variants is far less.
const maxBody = 32 << 20

// request is one GraphQL request's body.
type request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
}

// response is the envelope of every answer: data, top-level errors and the
// cost extension.
type response struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		Cost *cost `json:"cost"`
	} `json:"extensions"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// cost is extensions.cost of an answer.
type cost struct {
	RequestedQueryCost float64  `json:"requestedQueryCost"`
	ActualQueryCost    *float64 `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

// client speaks to one shop's GraphQL endpoint, paced by the account's
// budget and by what the shop last said of its cost bucket.
type client struct {
	url       string
	token     string
	http      *http.Client
	userAgent string
	budget    *adapters.Budget

	mu sync.Mutex
	// The shop's cost bucket as last reported: avail points at the instant
	// at, refilling at restore per second up to max. Requests sent since
	// are taken off avail as they go.
	avail, max, restore float64
	at                  time.Time
	known               bool
	// costs is the last requested cost of each operation.
	costs map[string]float64
	// version is the API version requested; served the one Shopify
	// answered with (X-Shopify-Api-Version), once an answer said.
	version, served string
	// log warns once when Shopify serves another version.
	log *slog.Logger
}

// noteVersion keeps the API version Shopify says it served. A retired
// version is answered as the oldest supported one ("fall forward"): the
// requests and answers are then that version's, so the adapter follows it
// and says so once.
func (c *client) noteVersion(v string) {
	if v == "" {
		return
	}
	c.mu.Lock()
	first := c.served != v && v != c.version
	c.served = v
	c.mu.Unlock()
	if first && c.log != nil {
		c.log.Warn("Shopify served another Admin API version than the one configured: the configured one is no longer supported, and Shopify answers retired versions with its oldest supported one; set api_version to a supported version",
			slog.String("api_version", c.version), slog.String("served", v))
	}
}

// servedVersion is the version the last answer was served as, or the one
// requested before any answer.
func (c *client) servedVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.served != "" {
		return c.served
	}
	return c.version
}

// Estimated costs of operations not yet sent once: Shopify's published
// defaults (an object 1 point, a mutation 10) over the selections below.
const (
	defaultReadCost     = 200
	defaultMutationCost = 10
)

// readShare divides the shop's restore rate and bucket for reads.
const readShare = 2

// do sends one operation and decodes its data into out. write says which
// side of the budget pays for it; est is the cost to wait for until the
// shop has told what the operation costs.
func (c *client) do(ctx context.Context, write bool, op string, est float64, query string, vars map[string]any, out any) error {
	need := est
	if !write {
		// A query costs what it cost last time; a mutation request is
		// counted by its caller (10 points a mutation).
		need = c.estimate(op, est)
	}
	bucket := c.budget.Read
	if write {
		bucket = c.budget.Write
	}
	if err := bucket.Wait(ctx, int(math.Ceil(need))); err != nil {
		return err
	}
	if err := c.waitShop(ctx, need); err != nil {
		return err
	}
	body, err := json.Marshal(request{Query: query, OperationName: op, Variables: vars})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", c.token)
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ne net.Error
		timeout := errors.As(err, &ne) && ne.Timeout()
		// A write that left may have landed: its outcome is unknown.
		return &adapters.TemporaryError{Message: fmt.Sprintf("%s: %s", op, scrub(err.Error(), c.token)), Timeout: write || timeout}
	}
	defer func() { _ = resp.Body.Close() }()
	c.noteVersion(resp.Header.Get("X-Shopify-Api-Version"))
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &adapters.TemporaryError{Message: fmt.Sprintf("%s: reading the answer: %v", op, err), Timeout: write}
	}
	return c.decode(op, write, resp, raw, out)
}

// decode reads one answer.
func (c *client) decode(op string, write bool, resp *http.Response, raw []byte, out any) error {
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &adapters.AuthError{Message: fmt.Sprintf("%s: HTTP %d from Shopify: check the access token and the app's scopes", op, resp.StatusCode)}
	case resp.StatusCode == http.StatusPaymentRequired:
		return &adapters.AuthError{Message: op + ": HTTP 402 from Shopify: the shop is frozen until its owner pays the outstanding balance"}
	case resp.StatusCode == http.StatusTooManyRequests:
		// Whether a throttled GraphQL call is a 429 or a 200 is not
		// settled in the sources: a 429 is read for its cost extension
		// too, and waits for Retry-After, else for the bucket to refill.
		var r response
		if json.Unmarshal(raw, &r) == nil && r.Extensions.Cost != nil {
			c.learn(op, r.Extensions.Cost)
		}
		d := c.refillTime(op)
		if h := resp.Header.Get("Retry-After"); h != "" {
			d = retryAfter(h)
		}
		c.pause(write, d)
		return &adapters.ThrottledError{RetryAfter: d, Message: op + ": HTTP 429"}
	case resp.StatusCode >= 500:
		return &adapters.TemporaryError{Message: fmt.Sprintf("%s: HTTP %d from Shopify", op, resp.StatusCode), Timeout: write}
	case resp.StatusCode != http.StatusOK:
		return &adapters.BadResponseError{Message: fmt.Sprintf("%s: HTTP %d from Shopify: %s", op, resp.StatusCode, snippet(raw))}
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return &adapters.BadResponseError{Message: fmt.Sprintf("%s: the answer is not JSON (%v): %s", op, err, snippet(raw))}
	}
	if r.Extensions.Cost != nil {
		c.learn(op, r.Extensions.Cost)
	}
	for _, e := range r.Errors {
		if e.Extensions.Code == "THROTTLED" {
			d := c.refillTime(op)
			c.pause(write, d)
			return &adapters.ThrottledError{RetryAfter: d, Message: op + ": " + e.Message}
		}
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Message
			if e.Extensions.Code != "" {
				msgs[i] += " (" + e.Extensions.Code + ")"
			}
		}
		switch r.Errors[0].Extensions.Code {
		case "ACCESS_DENIED", "SHOP_INACTIVE":
			// A scope the app lacks, or a shop Shopify has shut: a
			// person must act before calling again helps.
			return &adapters.AuthError{Message: op + ": " + strings.Join(msgs, "; ")}
		case "INTERNAL_SERVER_ERROR":
			return &adapters.TemporaryError{Message: op + ": " + strings.Join(msgs, "; "), Timeout: write}
		}
		return &adapters.BadResponseError{Message: op + ": " + strings.Join(msgs, "; ")}
	}
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return &adapters.BadResponseError{Message: op + ": the answer has no data"}
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return &adapters.BadResponseError{Message: fmt.Sprintf("%s: the data is not in the documented shape: %v", op, err)}
	}
	return nil
}

// estimate is what op is expected to cost.
func (c *client) estimate(op string, est float64) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.costs[op]; ok {
		return v
	}
	return est
}

// learn takes in what an answer says of the shop's cost bucket.
func (c *client) learn(op string, k *cost) {
	ts := k.ThrottleStatus
	c.mu.Lock()
	if c.costs == nil {
		c.costs = map[string]float64{}
	}
	if k.RequestedQueryCost > 0 {
		c.costs[op] = k.RequestedQueryCost
	}
	if ts.MaximumAvailable > 0 && ts.RestoreRate > 0 {
		c.avail, c.max, c.restore, c.at, c.known = ts.CurrentlyAvailable, ts.MaximumAvailable, ts.RestoreRate, time.Now(), true
	}
	c.mu.Unlock()
	if ts.MaximumAvailable > 0 && ts.RestoreRate > 0 {
		// Reads and writes draw on one bucket at the shop. Writes may use
		// all of it; reads half, so that a long read never starves the
		// writes that stop an oversell.
		burst := int(min(ts.MaximumAvailable, math.MaxInt32))
		c.budget.Write.Learn(adapters.Rate{Limit: rate.Limit(ts.RestoreRate), Burst: burst})
		c.budget.Read.Learn(adapters.Rate{Limit: rate.Limit(ts.RestoreRate / readShare), Burst: max(burst/readShare, 1)})
	}
}

// waitShop waits until the shop's bucket, as last reported and refilled
// since, holds need points, and takes them off.
func (c *client) waitShop(ctx context.Context, need float64) error {
	for {
		c.mu.Lock()
		if !c.known {
			c.mu.Unlock()
			return nil
		}
		now := time.Now()
		avail := math.Min(c.max, c.avail+c.restore*now.Sub(c.at).Seconds())
		need := math.Min(need, c.max)
		if avail >= need {
			c.avail, c.at = avail-need, now
			c.mu.Unlock()
			return nil
		}
		d := time.Duration((need - avail) / c.restore * float64(time.Second))
		c.mu.Unlock()
		t := time.NewTimer(max(d, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// refillTime is how long until the shop's bucket holds op's cost again.
func (c *client) refillTime(op string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known || c.restore <= 0 {
		return time.Second
	}
	need := c.costs[op]
	if need <= 0 {
		need = defaultMutationCost
	}
	short := need - c.avail
	if short <= 0 {
		return time.Second
	}
	return time.Duration(math.Ceil(short/c.restore*1000)) * time.Millisecond
}

// pause holds every caller of the side that was throttled.
func (c *client) pause(write bool, d time.Duration) {
	if write {
		c.budget.Write.Pause(d)
	} else {
		c.budget.Read.Pause(d)
	}
}

func retryAfter(h string) time.Duration {
	if h == "" {
		return time.Second // the official client's default wait
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return time.Second
}

// snippet is the start of an answer, for an error message.
func snippet(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// scrub removes the token from a message, should a transport echo it.
func scrub(msg, token string) string {
	if token == "" {
		return msg
	}
	return strings.ReplaceAll(msg, token, "[token]")
}
