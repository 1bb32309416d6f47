package lazada

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

func TestBadAnswers(t *testing.T) {
	html := `<html><head><title>502 Bad Gateway</title></head><body>upstream</body></html>`
	for name, tc := range map[string]struct {
		status   int
		ct, body string
		want     any
		saying   string
	}{
		"html error page": {502, "text/html", html, &adapters.TemporaryError{}, "502 Bad Gateway"},
		"html with 200":   {200, "text/html", html, &adapters.BadResponseError{}, "502 Bad Gateway"},
		"truncated json":  {200, "application/json", `{"code":"0","data":{"total_products":"3","products":[{"item_id"`, &adapters.BadResponseError{}, "total_products"},
		"no code":         {200, "application/json", `{"data":{}}`, &adapters.BadResponseError{}, "without a code"},
		"no data":         {200, "application/json", `{"code":"0","request_id":"x"}`, &adapters.BadResponseError{}, "without data"},
		"bad amount":      {200, "application/json", `{"code":"0","data":{"total_products":1,"products":[{"item_id":1,"skus":[{"SellerSku":"A","price":"12,50"}]}]}}`, &adapters.BadResponseError{}, "12,50"},
		"bad date":        {200, "application/json", `{"code":"0","data":{"total_products":1,"products":[{"item_id":1,"skus":[{"SellerSku":"A","price":20,"special_price":10,"special_from_time":"yesterday"}]}]}}`, &adapters.BadResponseError{}, "yesterday"},
		"server error":    {500, "application/json", `{"code":"InternalError","type":"SYSTEM","message":"Internal error"}`, &adapters.TemporaryError{}, "InternalError"},
		"throttled":       {200, "application/json", `{"code":"ApiCallLimit","type":"ISV","message":"Api access frequency exceeds the limit. this ban will last 2 seconds.","request_id":"r1"}`, &adapters.ThrottledError{}, "ApiCallLimit"},
		"qps":             {200, "application/json", `{"code":"901","type":"ISP","message":"Limit service request speed in server side temporarily."}`, &adapters.ThrottledError{}, "901"},
		"http 429":        {429, "text/plain", `slow down`, &adapters.ThrottledError{}, "slow down"},
		"campaign":        {200, "application/json", `{"code":"998","type":"ISP","message":"To ensure stability of service, this API service is disabled"}`, &adapters.TemporaryError{}, "disabled"},
		"signature":       {200, "application/json", `{"code":"IncompleteSignature","type":"ISV","message":"The request signature does not conform to platform standards"}`, &adapters.AuthError{}, "IncompleteSignature"},
		"status filter":   {200, "application/json", `{"code":"36","type":"ISV","message":"E036: Invalid status filter"}`, &adapters.RejectedError{}, "E036"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c, _ := seeded(t, 3, "")
			f.Fail(tc.status, "/products/get", tc.ct, tc.body)
			err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
			var ok bool
			switch tc.want.(type) {
			case *adapters.TemporaryError:
				var e *adapters.TemporaryError
				ok = errors.As(err, &e) && !e.Timeout
			case *adapters.BadResponseError:
				var e *adapters.BadResponseError
				ok = errors.As(err, &e)
			case *adapters.ThrottledError:
				var e *adapters.ThrottledError
				ok = errors.As(err, &e) && e.RetryAfter > 0
			case *adapters.AuthError:
				var e *adapters.AuthError
				ok = errors.As(err, &e)
			case *adapters.RejectedError:
				var e *adapters.RejectedError
				ok = errors.As(err, &e)
			}
			if !ok || !strings.Contains(err.Error(), tc.saying) {
				t.Errorf("Observe = %v, want a %T saying %q", err, tc.want, tc.saying)
			}
			noSecret(t, err)
			if _, throttled := tc.want.(*adapters.ThrottledError); throttled {
				// The API's bucket is paused for the ban (not waited
				// out here: pacing runs on real time).
				if st := c.budget.Op(opGetProducts.name, opGetProducts.rate).Stats(); st.Throttles != 1 {
					t.Errorf("the throttle paused GetProducts %d times, want 1", st.Throttles)
				}
				return
			}
			// The next read goes through.
			if got := adaptertest.ObserveAll(t, c, nil); len(got) != 3 {
				t.Errorf("after the failure: %d listings", len(got))
			}
		})
	}
}

func TestThrottleWaitFromMessage(t *testing.T) {
	e := classify(opGetProducts, &envelope{Code: "ApiCallLimit", Message: "Api access frequency exceeds the limit. this ban will last 3 seconds."})
	var te *adapters.ThrottledError
	if !errors.As(e, &te) || te.RetryAfter != 3*time.Second {
		t.Errorf("classify = %v, want a throttle of 3s", e)
	}
	e = classify(opUpdatePriceQuantity, &envelope{Code: "ServiceTimeout", Message: "timeout"})
	var tmp *adapters.TemporaryError
	if !errors.As(e, &tmp) || !tmp.Timeout {
		t.Errorf("a write's ServiceTimeout = %v, want an unknown outcome", e)
	}
}

// A write whose answer is lost has an unknown outcome; the transport's
// message, which quotes the URL, carries no token.
func TestTransportFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("no hijacker")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	f, _, ls := seeded(t, 1, "")
	c := f.open(t, "", clockAt(testNow))
	c.cfg.Endpoint = srv.URL + "/rest"
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	var tmp *adapters.TemporaryError
	if !errors.As(err, &tmp) || tmp.Timeout {
		t.Errorf("a read cut off: %v, want a *TemporaryError", err)
	}
	noSecret(t, err)
	if strings.Contains(err.Error(), "fake-access") {
		t.Errorf("the access token leaked: %v", err)
	}
	// The read before a write reaches the fake; the write is cut off.
	c2 := f.open(t, "", clockAt(testNow))
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			hj, _ := w.(http.Hijacker)
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, f.URL()+"/products/get?"+r.URL.RawQuery, nil) //nolint:gosec // G704: the test's own fake, on loopback
		if err != nil {
			t.Error(err)
			return
		}
		resp, err := f.Client().Do(req) //nolint:gosec // G704: the test's own fake, on loopback
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = resp.Body.Close() }()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(cut.Close)
	c2.cfg.Endpoint = cut.URL + "/rest"
	rs := c2.Apply(context.Background(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(5)}})
	if !errors.As(rs[0].Err, &tmp) || !tmp.Timeout {
		t.Errorf("a write cut off: %v, want a *TemporaryError of unknown outcome", rs[0].Err)
	}
}
