package shopee

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

// api is one Shopee API the adapter calls.
type api struct {
	name, path, method string
	// public APIs are signed without the access token and shop ID.
	public bool
}

// The APIs (paths from REF and SJS endpoints.ts).
var (
	apiItemList       = api{name: "get_item_list", path: "/api/v2/product/get_item_list", method: http.MethodGet}
	apiItemBaseInfo   = api{name: "get_item_base_info", path: "/api/v2/product/get_item_base_info", method: http.MethodGet}
	apiModelList      = api{name: "get_model_list", path: "/api/v2/product/get_model_list", method: http.MethodGet}
	apiUpdatePrice    = api{name: "update_price", path: "/api/v2/product/update_price", method: http.MethodPost}
	apiUpdateStock    = api{name: "update_stock", path: "/api/v2/product/update_stock", method: http.MethodPost}
	apiUpdateItem     = api{name: "update_item", path: "/api/v2/product/update_item", method: http.MethodPost}
	apiAddDiscount    = api{name: "add_discount_item", path: "/api/v2/discount/add_discount_item", method: http.MethodPost}
	apiUpdateDiscount = api{name: "update_discount_item", path: "/api/v2/discount/update_discount_item", method: http.MethodPost}
	apiDeleteDiscount = api{name: "delete_discount_item", path: "/api/v2/discount/delete_discount_item", method: http.MethodPost}
	apiRefreshToken   = api{name: "refresh_access_token", path: "/api/v2/auth/access_token/get", method: http.MethodPost, public: true}
)

// envelope is the answer of every API (DOC API-calls.md "API response
// parameters").
type envelope struct {
	RequestID string          `json:"request_id"`
	Error     string          `json:"error"`
	Message   string          `json:"message"`
	Warning   json.RawMessage `json:"warning"`
	Response  json.RawMessage `json:"response"`
}

// code is the error code without its module prefix ("product.error_param"
// is error_param).
func (e *envelope) code() string {
	c := strings.TrimSpace(e.Error)
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		c = c[i+1:]
	}
	return strings.ReplaceAll(c, " ", "")
}

// describe is the error code and message, with the request ID for
// Shopee's support.
func (e *envelope) describe() string {
	s := strings.TrimSpace(e.Error)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request_id " + e.RequestID + ")"
	}
	return s
}

// warning is the envelope's warning as text ("" for none).
func (e *envelope) warning() string {
	w := bytes.TrimSpace(e.Warning)
	if len(w) == 0 || string(w) == "null" || string(w) == `""` {
		return ""
	}
	var s string
	if json.Unmarshal(w, &s) == nil {
		return s
	}
	return string(w)
}

// tokenInvalid reports an answer saying the access token is invalid or
// expired (REF: error_auth "Invalid access_token.").
func (e *envelope) tokenInvalid() bool {
	code, msg := e.code(), strings.ToLower(e.Message)
	if code == "invalid_access_token" || code == "error_access_token" {
		return true
	}
	return (code == "error_auth" || code == "error_param" || code == "error_token") &&
		strings.Contains(msg, "access_token") && (strings.Contains(msg, "invalid") || strings.Contains(msg, "expire"))
}

// throttled reports an answer refusing the call for a rate limit.
func (e *envelope) throttled() bool {
	code, msg := strings.ToLower(e.Error), strings.ToLower(e.Message)
	return strings.Contains(code, "rate_limit") || strings.Contains(code, "too_many") ||
		strings.Contains(msg, "too many request") || strings.Contains(msg, "too frequent")
}

// defaultPause is how long a throttled bucket pauses when the answer does
// not say.
const defaultPause = time.Second

// call sends one API request: it waits on the account's read or write
// bucket, signs with the current access token (refreshing it once when the
// answer says it is invalid or expired), and decodes the envelope's
// response into out. query holds the request parameters of a GET; body,
// when not nil, is a POST's JSON body. A refused call still decodes what
// response it carries into out, so that a refused update can be read for
// its failure_list. Every failure is one of errors.go's, with no secret in
// its text.
func (c *Channel) call(ctx context.Context, a api, query url.Values, body, out any) error {
	_, err := c.send(ctx, a, query, body, out)
	return c.scrub(err)
}

func (c *Channel) send(ctx context.Context, a api, query url.Values, body, out any) (*envelope, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("%s: %w", a.name, err)
		}
	}
	write := apikit.IsWrite(a.method)
	side := c.budget.Read
	if write {
		side = c.budget.Write
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tok, err := c.tokens.get(ctx)
		if err != nil {
			return nil, err
		}
		if side != nil {
			if err := side.Wait(ctx, 1); err != nil {
				return nil, err
			}
		}
		req, err := c.request(ctx, a, query, raw, tok)
		if err != nil {
			return nil, err
		}
		ans, err := apikit.Do(ctx, c.http, a.name, req)
		if err != nil {
			return nil, err
		}
		var env envelope
		if jerr := json.Unmarshal(ans.Body, &env); jerr != nil {
			if !ans.OK() {
				if ans.Status == http.StatusTooManyRequests && side != nil {
					side.Pause(c.pauseFor(ans))
				}
				return nil, ans.Failure(a.name, write, "")
			}
			return nil, ans.BadJSON(a.name, jerr)
		}
		if ans.OK() && env.Error == "" {
			if w := env.warning(); w != "" {
				c.log.Debug("shopee answered with a warning", "api", a.name, "warning", w)
			}
			if out != nil {
				if len(bytes.TrimSpace(env.Response)) == 0 {
					return &env, &adapters.BadResponseError{Message: fmt.Sprintf("%s answered without a response: %s", a.name, ans.Snippet())}
				}
				if err := json.Unmarshal(env.Response, out); err != nil {
					return &env, ans.BadJSON(a.name, err)
				}
			}
			return &env, nil
		}
		if env.Error == "" {
			// A failure status with an envelope that names no error.
			return &env, ans.Failure(a.name, write, "")
		}
		if !a.public && attempt == 0 && env.tokenInvalid() {
			if err := c.tokens.refresh(ctx, tok); err != nil {
				return &env, err
			}
			continue
		}
		if out != nil && len(bytes.TrimSpace(env.Response)) > 0 {
			// A refused write may still say which models failed.
			_ = json.Unmarshal(env.Response, out)
		}
		return &env, c.failure(a, ans, &env, write, side)
	}
}

// request builds a signed request.
func (c *Channel) request(ctx context.Context, a api, query url.Values, body []byte, tok string) (*http.Request, error) {
	ts := c.wall().Unix()
	q := url.Values{}
	for k, vs := range query {
		q[k] = vs
	}
	q.Set("partner_id", strconv.FormatInt(c.cfg.PartnerID, 10))
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	if a.public {
		q.Set("sign", sign(c.cfg.PartnerKey, publicBase(c.cfg.PartnerID, a.path, ts)))
	} else {
		q.Set("access_token", tok)
		q.Set("shop_id", strconv.FormatInt(c.cfg.ShopID, 10))
		q.Set("sign", sign(c.cfg.PartnerKey, shopBase(c.cfg.PartnerID, a.path, ts, tok, c.cfg.ShopID)))
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, a.method, c.cfg.Endpoint+a.path+"?"+q.Encode(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.name, err)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// failure classifies an answer whose envelope names an error.
func (c *Channel) failure(a api, ans *apikit.Answer, env *envelope, write bool, side *adapters.Bucket) error {
	msg := fmt.Sprintf("%s: %s", a.name, env.describe())
	if !ans.OK() {
		msg = fmt.Sprintf("%s: HTTP %d: %s", a.name, ans.Status, env.describe())
	}
	code := env.code()
	switch {
	case ans.Status == http.StatusTooManyRequests || env.throttled():
		wait := apikit.RetryAfter(ans.Header)
		if side != nil {
			side.Pause(c.pauseFor(ans))
		}
		return &adapters.ThrottledError{RetryAfter: wait, Message: msg}
	case strings.Contains(strings.ToLower(env.Message), "timestamp") && (code == "error_param" || code == "error_timestamp"):
		return &adapters.AuthError{Message: msg + " (Shopee takes a request's timestamp for 5 minutes: is this machine's clock right?)"}
	case code == "error_auth" || code == "error_sign" || code == "error_partner_id" || code == "error_shop_id" ||
		code == "error_shop" || code == "error_permission" || code == "error_perm_non_admin" || code == "error_auth_shop_not_found" ||
		ans.Status == http.StatusUnauthorized || ans.Status == http.StatusForbidden:
		return &adapters.AuthError{Message: msg}
	case ans.Status >= 500 || code == "error_server" || code == "error_inner" || code == "error_network" ||
		code == "error_system_busy" || code == "error_busy" || code == "error_update_price_fail":
		return &adapters.TemporaryError{Message: msg, Timeout: write && ans.Status == http.StatusGatewayTimeout}
	}
	return &adapters.RejectedError{Reason: msg}
}

// pauseFor is how long a throttled answer pauses the bucket.
func (c *Channel) pauseFor(ans *apikit.Answer) time.Duration {
	if d := apikit.RetryAfter(ans.Header); d > 0 {
		return d
	}
	return c.pause
}

// scrub takes every credential out of err's text: a transport error quotes
// the URL, whose query carries the access token.
func (c *Channel) scrub(err error) error {
	if err == nil {
		return nil
	}
	secrets := append([]string{c.cfg.PartnerKey, c.cfg.AccessToken, c.cfg.RefreshToken}, c.tokens.current()...)
	clean := func(s string) string { return apikit.Scrub(s, secrets...) }
	var (
		tmp  *adapters.TemporaryError
		thr  *adapters.ThrottledError
		rej  *adapters.RejectedError
		auth *adapters.AuthError
		bad  *adapters.BadResponseError
	)
	switch {
	case errors.As(err, &tmp):
		tmp.Message = clean(tmp.Message)
	case errors.As(err, &thr):
		thr.Message = clean(thr.Message)
	case errors.As(err, &rej):
		rej.Reason = clean(rej.Reason)
	case errors.As(err, &auth):
		auth.Message = clean(auth.Message)
	case errors.As(err, &bad):
		bad.Message = clean(bad.Message)
	default:
		if s := err.Error(); clean(s) != s {
			return errors.New(clean(s))
		}
	}
	return err
}
