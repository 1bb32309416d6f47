package walmart

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// op is one operation (its operationId in Walmart's documents) and its pace.
// The documents give no rate for the single-item calls: these are guesses
// (see the package comment) that each answer's X-Current-Token-Count and
// X-Next-Replenishment-Time correct (see learn), and a 429 pauses the
// operation for the Retry-After Walmart sends, else until the window ends.
type op struct {
	name string
	rate adapters.Rate
}

var (
	guessed        = adapters.Rate{Limit: 20, Burst: 100}
	opGetAllItems  = op{"getAllItems", guessed}
	opGetInventory = op{"getInventory", guessed}
	opInventories  = op{"getMultiNodeInventoryForAllSkuAndAllShipNodes", guessed}
	opPutInventory = op{"updateInventoryForAnItem", guessed}
	opUpdatePrice  = op{"updatePrice", guessed}
	opUpdatePromo  = op{"updatePromotionalPrices", guessed}
	opGetPromo     = op{"getPromotionalPrices", guessed}
	opFeedStatus   = op{"getFeedItemStatus", adapters.Rate{Limit: rate.Limit(5000.0 / 60), Burst: 100}}
	opBulkUpload   = op{"bulkUpload", adapters.Unlimited} // paced per feed type, see feedQueue
	errNotFound    = errors.New("not found")
)

// wmError is one error of Walmart's error shape.
type wmError struct {
	Code        string `json:"code"`
	Field       string `json:"field"`
	Description string `json:"description"`
	Info        string `json:"info"`
	Category    string `json:"category"`
}

// errorList is Walmart's error body: {errors[...]}, or {error[...]} as some
// gateways answer.
type errorList struct {
	Errors []wmError `json:"errors"`
	Error  []wmError `json:"error"`
}

func (l errorList) all() []wmError { return append(append([]wmError(nil), l.Errors...), l.Error...) }

func (l errorList) String() string {
	var parts []string
	for _, e := range l.all() {
		s := e.Code
		switch {
		case e.Description != "":
			s += ": " + e.Description
		case e.Info != "":
			s += ": " + e.Info
		}
		if e.Field != "" && !strings.EqualFold(e.Field, e.Code) {
			s += " (" + e.Field + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func (l errorList) expired() bool {
	for _, e := range l.all() {
		if strings.Contains(strings.ToLower(e.Description+" "+e.Info), "expired") {
			return true
		}
	}
	return false
}

// correlationID is a fresh random UUID (version 4) for WM_QOS.CORRELATION_ID.
func correlationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// request is one call: body (nil for none) of contentType.
type request struct {
	op          op
	method      string
	path        string // with its query
	body        []byte
	contentType string
}

// opBucket is o's bucket in the account's budget: made at o's rate, or at
// call_rate for an operation paced by the guess.
func (c *Channel) opBucket(o op) *adapters.Bucket {
	r := o.rate
	if r == guessed && c.cfg.CallRate > 0 {
		r = adapters.Rate{Limit: rate.Limit(c.cfg.CallRate), Burst: max(guessed.Burst, c.cfg.CallRate)}
	}
	return c.budget.Op(o.name, r)
}

// call sends one request: it waits on the account's read or write bucket
// and the operation's, sends the token and the WM_ headers (refreshing the
// token once when Walmart says it expired), paces the operation by the
// answer's rate-limit headers, and decodes a 2xx JSON answer into out. A
// 404 is errNotFound; every other failure is one of errors.go's.
func (c *Channel) call(ctx context.Context, rq request, out any) error {
	bucket := c.opBucket(rq.op)
	write := apikit.IsWrite(rq.method)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := c.token.get(ctx)
		if err != nil {
			return err
		}
		side := c.budget.Read
		if write {
			side = c.budget.Write
		}
		if err := side.Wait(ctx, 1); err != nil {
			return err
		}
		if err := bucket.Wait(ctx, 1); err != nil {
			return err
		}
		var rd io.Reader
		if rq.body != nil {
			rd = bytes.NewReader(rq.body)
		}
		req, err := http.NewRequestWithContext(ctx, rq.method, c.cfg.Endpoint+rq.path, rd)
		if err != nil {
			return fmt.Errorf("%s: %w", rq.op.name, err)
		}
		c.headers(req, tok)
		if rq.body != nil {
			req.Header.Set("Content-Type", rq.contentType)
		}
		ans, err := apikit.Do(ctx, c.http, rq.op.name, req)
		if err != nil {
			return err
		}
		al, paced := readAllowance(ans.Header, c.now())
		if paced && ans.Status != http.StatusTooManyRequests {
			c.learn(bucket, rq.op, al)
		}
		var el errorList
		_ = json.Unmarshal(ans.Body, &el)
		detail := el.String()
		switch {
		case ans.OK():
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(ans.Body, out); err != nil {
				return ans.BadJSON(rq.op.name, err)
			}
			return nil
		case ans.Status == http.StatusNotFound && len(el.all()) > 0:
			return errNotFound
		case ans.Status == http.StatusUnauthorized && attempt == 0 && el.expired():
			c.token.invalidate(tok)
			continue
		case ans.Status == http.StatusTooManyRequests:
			wait := min(apikit.RetryAfter(ans.Header), maxHold)
			if wait == 0 && paced && al.left == 0 && rq.op.learns() {
				wait = al.until
			}
			if wait == 0 {
				if r := bucket.Rate(); r.Limit > 0 && r.Limit != rate.Inf {
					wait = time.Duration(float64(time.Second) / float64(r.Limit))
				} else {
					wait = time.Second
				}
			}
			bucket.Pause(wait)
			return &adapters.ThrottledError{RetryAfter: wait, Message: fmt.Sprintf("%s: HTTP 429: %s", rq.op.name, orSnippet(detail, ans))}
		}
		return ans.Failure(rq.op.name, write, detail)
	}
}

func orSnippet(detail string, ans *apikit.Answer) string {
	if detail != "" {
		return detail
	}
	return ans.Snippet()
}

// headers sets what every call to Walmart carries.
func (c *Channel) headers(req *http.Request, tok string) {
	if tok != "" {
		req.Header.Set("WM_SEC.ACCESS_TOKEN", tok)
	}
	req.Header.Set("WM_SVC.NAME", c.cfg.ServiceName)
	req.Header.Set("WM_QOS.CORRELATION_ID", correlationID())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
}
