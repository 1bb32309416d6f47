package walmart

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/walmart/walmarttest"
)

// watched opens an adapter with a running Watch and returns what it
// reports.
func watched(t *testing.T, f *fake, extra string) (*Channel, <-chan adapters.Event) {
	t.Helper()
	c := f.open(t, extra)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan adapters.Event, 16)
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, func(e adapters.Event) { events <- e }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch = %v after its context ended", err)
		}
	})
	waitWatching(c)
	return c, events
}

func deliver(t *testing.T, c *Channel, h http.Header, body []byte) error {
	t.Helper()
	r, err := http.NewRequestWithContext(context.Background(), "POST", "/api/hooks/channel/walmart_us", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header = h
	reply, err := c.Receive(r.Context(), r, body)
	if reply != nil {
		t.Errorf("Receive replied %s, want nothing", reply)
	}
	return err
}

func TestWebhookOrder(t *testing.T) {
	f := newFake(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "walmart_us", Currency: "USD", Scale: 2}, 3))
	c, events := watched(t, f, "")
	h, body := f.OrderHook("AT-00002", 2)
	if err := deliver(t, c, h, body); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Channel != "walmart_us" || e.SKU != "AT-00002" || e.Kind != adapters.EventOrder || e.Units != 2 || e.At.IsZero() {
			t.Errorf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	if it, _ := f.Listing("AT-00002"); it.Quantity != 0 {
		t.Errorf("the order left quantity %d, want 0", it.Quantity)
	}
}

func TestWebhookSignatureRefused(t *testing.T) {
	f := newFake(t)
	c, events := watched(t, f, "")
	h, body := f.OrderHook("AT-00001", 1)
	hexSig := func(secret string, b []byte) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(b)
		return hex.EncodeToString(m.Sum(nil))
	}
	tampered := bytes.Replace(body, []byte(`"measurementValue":"1"`), []byte(`"measurementValue":"9"`), 1)
	for name, tc := range map[string]struct {
		sig  string
		body []byte
	}{
		"missing":      {"", body},
		"wrong secret": {walmarttest.Sign("not-the-secret", body), body},
		"tampered":     {h.Get(walmarttest.WebhookHeader), tampered},
		"garbage":      {"c2lnbmF0dXJl", body},
	} {
		t.Run(name, func(t *testing.T) {
			hh := h.Clone()
			hh.Set(walmarttest.WebhookHeader, tc.sig)
			if err := deliver(t, c, hh, tc.body); !errors.Is(err, adapters.ErrBadSignature) {
				t.Errorf("Receive = %v, want ErrBadSignature", err)
			}
		})
	}
	select {
	case e := <-events:
		t.Errorf("a refused delivery reported %+v", e)
	default:
	}
	// The HMAC in hex is taken as well as in base64.
	hh := h.Clone()
	hh.Set(walmarttest.WebhookHeader, hexSig(walmarttest.WebhookSecret, body))
	if err := deliver(t, c, hh, body); err != nil {
		t.Errorf("a hex signature: %v", err)
	}
}

func TestWebhookWithoutSecretRefused(t *testing.T) {
	f := newFake(t)
	s := setupFor(t, goodConfig+"endpoint = \""+f.URL()+"\"\n")
	c, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	h, body := f.OrderHook("AT-00001", 1)
	if err := deliver(t, c, h, body); !errors.Is(err, adapters.ErrBadSignature) {
		t.Errorf("no webhook_secret: Receive = %v, want ErrBadSignature", err)
	}
}

func TestParseNotification(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []adapters.Event
	}{
		"po created": {`{"source":{"eventType":"PO_CREATED","eventTime":"2026-03-01T10:00:00Z"},"payload":{"purchaseOrderId":"1","orderLines":[{"sku":"A","quantity":{"measurementValue":"2"}},{"lineNumber":"7","sku":"B","quantity":{"measurementValue":1}}]}}`,
			[]adapters.Event{{Channel: "w", SKU: "A", Kind: adapters.EventOrder, Units: 2, At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), ID: "1/1"}, {Channel: "w", SKU: "B", Kind: adapters.EventOrder, Units: 1, At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), ID: "1/7"}}},
		"order updates": {`{"source":{"eventType":"ORDER_UPDATES","eventTime":"1772359200000"},"payload":{"subEventType":"PO_CREATED","order":{"orderLines":[{"sku":"C","quantity":{"measurementValue":"3"}}]}}}`,
			[]adapters.Event{{Channel: "w", SKU: "C", Kind: adapters.EventOrder, Units: 3, At: time.UnixMilli(1772359200000).UTC()}}},
		"unpublished": {`{"source":{"eventType":"OFFER_UNPUBLISHED","eventTime":"2026-03-01T10:00:00Z"},"payload":{"sku":"D"}}`,
			[]adapters.Event{{Channel: "w", SKU: "D", Kind: adapters.EventListing, At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}}},
		"report status":  {`{"source":{"eventType":"REPORT_STATUS"},"payload":{}}`, nil},
		"auto cancelled": {`{"source":{"eventType":"PO_LINE_AUTOCANCELLED"},"payload":{"orderLines":[{"sku":"A","quantity":{"measurementValue":"1"}}]}}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parseNotification("w", []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("events %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if _, err := parseNotification("w", []byte(`{"source":{"eventType":"PO_CREATED"},"payload":{"orderLines":[{"sku":"A","quantity":{"measurementValue":"1.5"}}]}}`)); err == nil {
		t.Error("half a unit was taken")
	}
}
