package lazada

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// Sign is Lazada's signature of one call to api (its path, "/products/get")
// with params (the sign parameter left out): the parameters sorted by name,
// each name then value appended to the path, HMAC-SHA256 under the app
// secret, in upper-case hex. Empty values are left out, as the Java SDK
// does (the adapter sends none).
func Sign(secret, api string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = io.WriteString(mac, api)
	for _, k := range keys {
		v := params.Get(k)
		if v == "" {
			continue
		}
		_, _ = io.WriteString(mac, k)
		_, _ = io.WriteString(mac, v)
	}
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// op is one Lazada API.
type op struct {
	name   string // its name in Lazada's reference, for messages
	api    string // its path, signed
	method string
	// rate is its own limit where Lazada documents one.
	rate adapters.Rate
}

var (
	opGetProducts = op{name: "GetProducts", api: "/products/get", method: http.MethodGet, rate: adapters.Unlimited}
	// "Each seller can only call the inventory API 50 times per second."
	opUpdatePriceQuantity = op{name: "UpdatePriceQuantity", api: "/product/price_quantity/update", method: http.MethodPost, rate: adapters.Rate{Limit: 50, Burst: 50}}
	opUpdateProduct       = op{name: "UpdateProduct", api: "/product/update", method: http.MethodPost, rate: adapters.Unlimited}
	opRefreshToken        = op{name: "RefreshToken", api: "/auth/token/refresh", method: http.MethodPost}
)

// flexString is a JSON string, or a number kept as its text (Lazada sends
// codes and IDs as either).
type flexString string

// UnmarshalJSON takes a string, a number or null.
func (s *flexString) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(raw, []byte("null")):
		*s = ""
		return nil
	case len(raw) > 0 && raw[0] == '"':
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("neither a string nor a number: %s", raw)
	}
	*s = flexString(n.String())
	return nil
}

// envelope is the answer every call shares.
type envelope struct {
	Code      flexString      `json:"code"`
	Type      string          `json:"type"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Detail    []detail        `json:"detail"`
	Data      json.RawMessage `json:"data"`
	// raw is the whole answer.
	raw []byte
}

// detail is one refused item of a batch.
type detail struct {
	Field     string `json:"field"`
	SellerSku string `json:"seller_sku"`
	Message   string `json:"message"`
}

func (e *envelope) describe() string {
	s := string(e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// errExpiredToken is the access token refused: refresh it and try once
// more.
var errExpiredToken = errors.New("access token refused")

// The codes of the envelope that say what to do next (see the package
// comment for their sources).
var (
	tokenCodes     = map[string]bool{"IllegalAccessToken": true, "InvalidAccessToken": true, "AccessTokenExpired": true}
	authCodes      = map[string]bool{"IncompleteSignature": true, "InvalidAppKey": true, "IllegalRefreshToken": true, "InvalidRefreshToken": true, "AppWhiteIpLimit": true, "InsufficientPermission": true}
	throttleCodes  = map[string]bool{"ApiCallLimit": true, "AppCallLimit": true, "901": true, "E901": true}
	temporaryCodes = map[string]bool{"ServiceTimeout": true, "ServiceUnavailable": true, "998": true, "6": true, "E006": true, "1000": true, "513": true, "InternalError": true}
)

// banFor is the wait an ApiCallLimit message names.
var banFor = regexp.MustCompile(`ban will last (\d+) seconds?`)

// classify turns an envelope whose code is not "0" into one of errors.go's
// failures (errExpiredToken for a refused access token).
func classify(o op, e *envelope) error {
	code := string(e.Code)
	msg := o.name + ": " + e.describe()
	switch {
	case tokenCodes[code]:
		return fmt.Errorf("%s: %w", msg, errExpiredToken)
	case authCodes[code]:
		return &adapters.AuthError{Message: msg}
	case throttleCodes[code]:
		wait := time.Second
		if m := banFor.FindStringSubmatch(e.Message); m != nil {
			if s, err := strconv.Atoi(m[1]); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
		}
		return &adapters.ThrottledError{RetryAfter: wait, Message: msg}
	case temporaryCodes[code]:
		return &adapters.TemporaryError{Message: msg, Timeout: apikit.IsWrite(o.method) && code == "ServiceTimeout"}
	}
	return &adapters.RejectedError{Reason: msg}
}

// call sends one API call to the gateway, with the seller's access token:
// it waits on the account's read or write bucket and the API's own, signs,
// refreshes the token once when the answer refuses it, pauses the API's
// bucket on a throttle, and returns the envelope of a 2xx JSON answer.
// The envelope is returned with its error when Lazada refused the call
// (its detail may name the items refused).
func (c *Channel) call(ctx context.Context, o op, params url.Values) (*envelope, error) {
	bucket := c.budget.Op(o.name, o.rate)
	side := c.budget.Read
	if apikit.IsWrite(o.method) {
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
		if err := bucket.Wait(ctx, 1); err != nil {
			return nil, err
		}
		p := cloneValues(params)
		p.Set("access_token", tok)
		env, err := c.send(ctx, c.cfg.Endpoint, o, p)
		var te *adapters.ThrottledError
		switch {
		case errors.Is(err, errExpiredToken) && attempt == 0:
			c.tokens.invalidate(tok)
			continue
		case errors.Is(err, errExpiredToken):
			return env, &adapters.AuthError{Message: scrub(err.Error(), c.cfg)}
		case errors.As(err, &te):
			if te.RetryAfter <= 0 {
				// Lazada's advice: "retry in the next second".
				te.RetryAfter = time.Second
			}
			bucket.Pause(te.RetryAfter)
		}
		return env, err
	}
}

// send signs params for o and sends them to base; it classifies the
// answer. Nothing is paced here.
func (c *Channel) send(ctx context.Context, base string, o op, params url.Values) (*envelope, error) {
	params.Set("app_key", c.cfg.AppKey)
	params.Set("sign_method", "sha256")
	params.Set("timestamp", strconv.FormatInt(c.clock().UnixMilli(), 10))
	params.Set("sign", Sign(c.cfg.AppSecret, o.api, params))
	var req *http.Request
	var err error
	if o.method == http.MethodGet {
		req, err = http.NewRequestWithContext(ctx, o.method, base+o.api+"?"+params.Encode(), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, o.method, base+o.api, strings.NewReader(params.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.name, err)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	a, err := apikit.Do(ctx, c.http, o.name, req)
	if err != nil {
		// A transport error may quote the URL, and a GET's carries the
		// access token.
		var tmp *adapters.TemporaryError
		if errors.As(err, &tmp) {
			tmp.Message = scrub(tmp.Message, c.cfg, params.Get("access_token"), params.Get("refresh_token"))
		}
		return nil, err
	}
	env := envelope{raw: a.Body}
	jsonErr := json.Unmarshal(a.Body, &env)
	if !a.OK() {
		if jsonErr == nil && env.Code != "" && a.Status < 500 && a.Status != http.StatusTooManyRequests {
			return &env, classify(o, &env)
		}
		detail := ""
		if jsonErr == nil && env.Code != "" {
			detail = env.describe()
		}
		return nil, a.Failure(o.name, apikit.IsWrite(o.method), detail)
	}
	if jsonErr != nil {
		return nil, a.BadJSON(o.name, jsonErr)
	}
	if env.Code == "" {
		return nil, &adapters.BadResponseError{Message: fmt.Sprintf("%s answered without a code: %s", o.name, a.Snippet())}
	}
	if env.Code != "0" {
		return &env, classify(o, &env)
	}
	return &env, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+5)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// scrub takes the secrets of cfg, and the tokens given, out of s.
func scrub(s string, cfg Config, more ...string) string {
	for _, secret := range append([]string{cfg.AppSecret, cfg.AccessToken, cfg.RefreshToken}, more...) {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[secret]")
			s = strings.ReplaceAll(s, url.QueryEscape(secret), "[secret]")
		}
	}
	return s
}
