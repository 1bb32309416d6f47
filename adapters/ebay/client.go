package ebay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// errNotFound is a 404: a SKU, offer, order or key eBay does not have.
var errNotFound = errors.New("not found")

// errExpiredToken is the errorId of eBay's "Invalid access token" (an
// expired one included).
const errExpiredToken = 1001

// apiError is the document's Error.
type apiError struct {
	ErrorID     int    `json:"errorId"`
	Domain      string `json:"domain"`
	Category    string `json:"category"`
	Message     string `json:"message"`
	LongMessage string `json:"longMessage"`
	Parameters  []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"parameters"`
}

// errorList is the errors of an answer.
type errorList []apiError

func (l errorList) String() string {
	parts := make([]string, 0, len(l))
	for _, e := range l {
		msg := e.Message
		if e.LongMessage != "" && e.LongMessage != e.Message {
			msg += " (" + e.LongMessage + ")"
		}
		parts = append(parts, fmt.Sprintf("%d %s", e.ErrorID, msg))
	}
	return strings.Join(parts, "; ")
}

func (l errorList) has(id int) bool {
	for _, e := range l {
		if e.ErrorID == id {
			return true
		}
	}
	return false
}

// errorsOf reads the errors of an answer's body, nil when it has none.
func errorsOf(raw []byte) errorList {
	var body struct {
		Errors errorList `json:"errors"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return nil
	}
	return body.Errors
}

// request is one call to eBay.
type request struct {
	// op names the call in messages (the document's operationId).
	op     string
	method string
	// base is the API's base URL; path is under it.
	base, path string
	query      url.Values
	// body, when not nil, is sent as JSON.
	body any
	// language sends Content-Language (createOrReplaceInventoryItem,
	// updateOffer require it).
	language bool
	// app signs with the application's token instead of the seller's;
	// orders with the seller's token for the Fulfillment API.
	app, orders bool
}

// call sends one request: it waits on the account's read or write bucket,
// signs with an access token (exchanging the credentials again once when
// eBay says the token is invalid), and decodes a 2xx JSON answer into out.
// The answer is returned whenever one came (a 207's statuses are the
// caller's to read). A 404 is errNotFound; every other failure is one of
// errors.go's.
func (c *Channel) call(ctx context.Context, r request, out any) (*apikit.Answer, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("%s: %w", r.op, err)
		}
	}
	u := r.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	write := apikit.IsWrite(r.method) && r.op != opBulkGet
	bucket := c.budget.Read
	if write {
		bucket = c.budget.Write
	}
	tokens := c.user
	switch {
	case r.app:
		tokens = c.app
	case r.orders:
		tokens = c.orders
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if bucket != nil {
			if err := bucket.Wait(ctx, 1); err != nil {
				return nil, err
			}
		}
		tok, err := tokens.get(ctx)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.op, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.ua)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if r.language {
			req.Header.Set("Content-Language", c.cfg.ContentLanguage)
		}
		ans, err := apikit.Do(ctx, c.http, r.op, req)
		if err != nil {
			return nil, scrubErr(err, c.cfg)
		}
		errs := errorsOf(ans.Body)
		switch {
		case ans.OK():
			if out != nil && len(ans.Body) > 0 {
				if err := json.Unmarshal(ans.Body, out); err != nil {
					return ans, ans.BadJSON(r.op, err)
				}
			}
			return ans, nil
		case ans.Status == http.StatusUnauthorized && attempt == 0 && errs.has(errExpiredToken):
			tokens.invalidate(tok)
			continue
		case ans.Status == http.StatusNotFound:
			return ans, fmt.Errorf("%s: %w: %s", r.op, errNotFound, describe(errs, ans))
		case ans.Status == http.StatusTooManyRequests:
			wait := apikit.RetryAfter(ans.Header)
			if wait <= 0 {
				wait = time.Second
			}
			if bucket != nil {
				bucket.Pause(wait)
			}
			return ans, &adapters.ThrottledError{RetryAfter: wait, Message: r.op + ": HTTP 429: " + describe(errs, ans)}
		}
		return ans, ans.Failure(r.op, write, scrub(describe(errs, ans), c.cfg))
	}
}

// describe is what eBay said: its errors, or the start of the answer.
func describe(errs errorList, ans *apikit.Answer) string {
	if len(errs) > 0 {
		return errs.String()
	}
	return ans.Snippet()
}

// statusError is the failure of one item of a 207 answer, by its
// statusCode and errors.
func statusError(op string, status int, errs errorList) error {
	msg := fmt.Sprintf("%s: status %d: %s", op, status, errs.String())
	if len(errs) == 0 {
		msg = fmt.Sprintf("%s: status %d", op, status)
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &adapters.ThrottledError{Message: msg}
	case status >= 500:
		// The item may or may not have been taken.
		return &adapters.TemporaryError{Message: msg, Timeout: true}
	case status >= 400:
		return &adapters.RejectedError{Reason: msg}
	}
	return &adapters.BadResponseError{Message: msg + " (" + strconv.Itoa(status) + " is no status of an item)"}
}
