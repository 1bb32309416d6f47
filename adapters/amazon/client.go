package amazon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// op is one SP-API operation with its default usage plan, from the
// "Usage Plan" table of its description in the models.
type op struct {
	name string
	rate adapters.Rate
}

var (
	opGetListingsItem     = op{"getListingsItem", adapters.Rate{Limit: 5, Burst: 10}}
	opSearchListingsItems = op{"searchListingsItems", adapters.Rate{Limit: 5, Burst: 5}}
	opPatchListingsItem   = op{"patchListingsItem", adapters.Rate{Limit: 5, Burst: 5}}
	opPutListingsItem     = op{"putListingsItem", adapters.Rate{Limit: 5, Burst: 10}}
	opCreateFeedDocument  = op{"createFeedDocument", adapters.Rate{Limit: 0.5, Burst: 15}}
	opCreateFeed          = op{"createFeed", adapters.Rate{Limit: 0.0083, Burst: 15}}
	opGetFeed             = op{"getFeed", adapters.Rate{Limit: 2, Burst: 15}}
	opGetFeedDocument     = op{"getFeedDocument", adapters.Rate{Limit: 0.0222, Burst: 10}}
)

// errNotFound is a 404: a SKU the seller does not list.
var errNotFound = errors.New("not found")

// errorList is the models' ErrorList.
type errorList struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details string `json:"details"`
	} `json:"errors"`
}

func (l errorList) String() string {
	var parts []string
	for _, e := range l.Errors {
		s := e.Code + ": " + e.Message
		if e.Details != "" {
			s += " (" + e.Details + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// expired reports whether an ErrorList says the access token expired.
func (l errorList) expired() bool {
	for _, e := range l.Errors {
		if strings.Contains(strings.ToLower(e.Message+" "+e.Details), "expired") {
			return true
		}
	}
	return false
}

// call sends one SP-API request: it waits on the operation's bucket, signs
// with the access token (refreshing it once when the answer says it
// expired), learns the rate the answer declares, and decodes a 2xx JSON
// answer into out. in, when not nil, is sent as the JSON body. A 404 is
// errNotFound; every other failure is one of errors.go's.
func (c *Channel) call(ctx context.Context, o op, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	bucket := c.budget.Op(o.name, o.rate)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := c.token.get(ctx)
		if err != nil {
			return err
		}
		// The account's read or write bucket (where the controller's
		// priorities act), then the operation's own usage plan.
		side := c.budget.Write
		if method == http.MethodGet {
			side = c.budget.Read
		}
		if side != nil {
			if err := side.Wait(ctx, 1); err != nil {
				return err
			}
		}
		if err := bucket.Wait(ctx, 1); err != nil {
			return err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.cfg.Endpoint+path, rd)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		req.Header.Set("x-amz-access-token", tok)
		req.Header.Set("User-Agent", c.ua)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The request may have reached Amazon: a write's outcome is
			// unknown until observed.
			return &adapters.TemporaryError{Message: o.name + ": " + err.Error(), Timeout: method != http.MethodGet}
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		_ = resp.Body.Close()
		if err != nil {
			return &adapters.TemporaryError{Message: o.name + ": reading the answer: " + err.Error(), Timeout: method != http.MethodGet}
		}
		c.learn(bucket, resp.Header)
		var el errorList
		isJSON := json.Unmarshal(raw, &el) == nil
		switch code := resp.StatusCode; {
		case code >= 200 && code < 300:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return &adapters.BadResponseError{Message: fmt.Sprintf("%s answered HTTP %d with %s: %s", o.name, code, err, apikit.Snippet(raw, resp.Header))}
			}
			return nil
		case code == http.StatusNotFound:
			return errNotFound
		case code == http.StatusTooManyRequests:
			wait := retryAfter(resp.Header)
			if wait == 0 {
				if r := bucket.Rate(); r.Limit > 0 && r.Limit != rate.Inf {
					wait = time.Duration(float64(time.Second) / float64(r.Limit))
				}
			}
			bucket.Pause(wait)
			return &adapters.ThrottledError{RetryAfter: wait, Message: o.name + ": " + describe(el, isJSON, raw, resp.Header)}
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			if attempt == 0 && isJSON && el.expired() {
				c.token.invalidate(tok)
				continue
			}
			return &adapters.AuthError{Message: fmt.Sprintf("%s (HTTP %d): %s", o.name, code, describe(el, isJSON, raw, resp.Header))}
		case code >= 500:
			return &adapters.TemporaryError{Message: fmt.Sprintf("%s: HTTP %d: %s", o.name, code, describe(el, isJSON, raw, resp.Header)), Timeout: method != http.MethodGet && code == http.StatusGatewayTimeout}
		case code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge || code == http.StatusUnsupportedMediaType:
			return &adapters.RejectedError{Reason: fmt.Sprintf("%s: HTTP %d: %s", o.name, code, describe(el, isJSON, raw, resp.Header))}
		default:
			return &adapters.BadResponseError{Message: fmt.Sprintf("%s: HTTP %d: %s", o.name, code, describe(el, isJSON, raw, resp.Header))}
		}
	}
}

// learn sets the bucket to the usage plan the answer declares
// (x-amzn-RateLimit-Limit, requests per second).
func (c *Channel) learn(b *adapters.Bucket, h http.Header) {
	v := h.Get("x-amzn-RateLimit-Limit")
	if v == "" {
		return
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 {
		return
	}
	if cur := b.Rate(); float64(cur.Limit) != f {
		b.Learn(adapters.Rate{Limit: rate.Limit(f)})
	}
}

// retryAfter is the wait Retry-After asks for. It stays apart from
// apikit.RetryAfter, which trims the value first: a padded value reads as
// no wait here.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
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

func describe(el errorList, isJSON bool, raw []byte, h http.Header) string {
	if isJSON && len(el.Errors) > 0 {
		return el.String()
	}
	return apikit.Snippet(raw, h)
}
