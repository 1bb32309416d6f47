package tiktok

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

// op is one Open API operation: its name in messages and whether it only
// reads (a product search is a POST that reads).
type op struct {
	name string
	read bool
}

var (
	opSearchProducts  = op{"search products", true}
	opGetProduct      = op{"get product", true}
	opGetOrders       = op{"get order detail", true}
	opUpdatePrice     = op{"update price", false}
	opUpdateInventory = op{"update inventory", false}
	opPartialEdit     = op{"partial edit product", false}
)

// The error codes the adapter tells apart (see the package comment).
const (
	codeInvalidToken = 105001
	codeExpiredToken = 105002
	codeBadSign      = 106001
	codeRateLimit    = 36009002
	codeInternal     = 36009003
	codeBadParam     = 36009004
)

// apiError is an answer whose code is not 0: the failure it is (one of
// adapters') with what TikTok said, data included (an inventory update
// names the SKUs it refused there).
type apiError struct {
	Code    int64
	Message string
	Data    json.RawMessage
	err     error
}

func (e *apiError) Error() string { return e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

// defaultPause is how long a throttled answer without Retry-After holds
// the bucket.
const defaultPause = time.Second

// call sends one Open API request: it waits on the shop's read or write
// bucket, signs the request with the access token (refreshing the token
// once when TikTok says it expired or is invalid), and decodes the data of
// a code-0 answer into out. in, when not nil, is the JSON body. Every
// failure is one of adapters' errors, an *apiError when TikTok answered
// with a code.
func (c *Channel) call(ctx context.Context, o op, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		// Descriptions are HTML: sent as written, not as \u003c escapes.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	bucket := c.budget.Write
	if o.read {
		bucket = c.budget.Read
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := c.token.get(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		if err := bucket.Wait(ctx, 1); err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("app_key", c.cfg.appKey)
		q.Set("timestamp", strconv.FormatInt(c.wall().Unix(), 10))
		q.Set("shop_cipher", c.cfg.ShopCipher)
		q.Set("sign", Sign(c.cfg.appSecret, path, q, body))
		var rd io.Reader = http.NoBody
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.cfg.Endpoint+path+"?"+q.Encode(), rd)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		req.Header.Set("x-tts-access-token", tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.ua)
		ans, err := apikit.Do(ctx, c.http, o.name, req)
		if err != nil {
			var tmp *adapters.TemporaryError
			if errors.As(err, &tmp) {
				return &adapters.TemporaryError{Message: c.scrub(tmp.Message, tok), Timeout: tmp.Timeout}
			}
			return err
		}
		var env envelope
		jsonErr := json.Unmarshal(ans.Body, &env)
		if jsonErr == nil && env.Code == 0 && ans.OK() {
			if out == nil || len(env.Data) == 0 || string(env.Data) == "null" {
				return nil
			}
			if err := json.Unmarshal(env.Data, out); err != nil {
				return ans.BadJSON(o.name, err)
			}
			return nil
		}
		expired, failure := c.classify(o, ans, env, jsonErr, bucket)
		if expired && attempt == 0 {
			c.token.invalidate(tok)
			continue
		}
		return failure
	}
}

// classify turns a failed answer into one of adapters' errors, and says
// whether the access token expired (worth one refresh).
func (c *Channel) classify(o op, ans *apikit.Answer, env envelope, jsonErr error, bucket *adapters.Bucket) (expired bool, failure error) {
	write := !o.read
	if jsonErr != nil || (env.Code == 0 && env.Message == "") {
		// Not the envelope: an HTML page from a proxy, truncated JSON.
		if ans.OK() {
			if jsonErr == nil {
				jsonErr = errors.New("an answer without a code")
			}
			return false, ans.BadJSON(o.name, jsonErr)
		}
		err := ans.Failure(o.name, write, "")
		var thr *adapters.ThrottledError
		if errors.As(err, &thr) {
			c.pause(bucket, thr)
		}
		return false, err
	}
	msg := fmt.Sprintf("%s: HTTP %d: %s", o.name, ans.Status, describe(env, nil, ans))
	wrap := func(err error) error {
		return &apiError{Code: env.Code, Message: env.Message, Data: env.Data, err: err}
	}
	lower := strings.ToLower(env.Message)
	switch {
	case env.Code == codeRateLimit || ans.Status == http.StatusTooManyRequests:
		thr := &adapters.ThrottledError{RetryAfter: apikit.RetryAfter(ans.Header), Message: msg}
		c.pause(bucket, thr)
		return false, wrap(thr)
	case env.Code == codeInvalidToken || env.Code == codeExpiredToken ||
		(env.Code == codeBadParam && strings.Contains(lower, "access_token")):
		return true, wrap(&adapters.AuthError{Message: msg})
	case env.Code/1000 == 105 || env.Code == codeBadSign || ans.Status == http.StatusUnauthorized || ans.Status == http.StatusForbidden:
		return false, wrap(&adapters.AuthError{Message: msg})
	case env.Code == codeInternal || ans.Status >= 500:
		return false, wrap(&adapters.TemporaryError{Message: msg, Timeout: write && ans.Status == http.StatusGatewayTimeout})
	}
	return false, wrap(&adapters.RejectedError{Reason: msg})
}

// pause holds the bucket for the wait a throttled answer asks for.
func (c *Channel) pause(b *adapters.Bucket, thr *adapters.ThrottledError) {
	if thr.RetryAfter == 0 {
		thr.RetryAfter = defaultPause
	}
	b.Pause(thr.RetryAfter)
}

// scrub takes the credentials (and the access token in use) out of msg.
func (c *Channel) scrub(msg, tok string) string {
	return scrub(msg, c.cfg.appSecret, c.cfg.refreshToken, c.cfg.accessToken, tok)
}
