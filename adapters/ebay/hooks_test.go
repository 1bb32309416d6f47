package ebay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/ebay/ebaytest"
)

// deliver hands a notification to c as accord's daemon would.
func deliver(t *testing.T, c *Channel, h http.Header, body []byte) ([]byte, error) {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/hooks/channel/ebay_us", bytes.NewReader(body))
	r.Header = h.Clone()
	return c.Receive(t.Context(), r, body)
}

// watching runs Watch on c and returns its events.
func watching(t *testing.T, c *Channel) <-chan adapters.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan adapters.Event, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Watch(ctx, func(e adapters.Event) { events <- e })
	}()
	t.Cleanup(func() { cancel(); <-done })
	// Watch has begun once an event pushed is taken.
	for c.hooks.feed.Push(adapters.Event{Channel: "probe"}); ; {
		select {
		case e := <-events:
			if e.Channel == "probe" {
				return events
			}
		case <-time.After(10 * time.Millisecond):
			c.hooks.feed.Push(adapters.Event{Channel: "probe"})
		}
	}
}

// next is the next event Receive pushed, if any: a marker pushed after it
// comes back first when there is none (the feed keeps the order).
func next(t *testing.T, c *Channel, events <-chan adapters.Event) (adapters.Event, bool) {
	t.Helper()
	c.hooks.feed.Push(adapters.Event{Channel: "marker"})
	for {
		select {
		case e := <-events:
			switch e.Channel {
			case "probe":
				continue
			case "marker":
				return adapters.Event{}, false
			}
			// Take the marker too, for the next call.
			for m := range events {
				if m.Channel == "marker" {
					break
				}
			}
			return e, true
		case <-time.After(5 * time.Second):
			t.Fatal("the Watch feed is stuck")
		}
	}
}

func TestOrderNotification(t *testing.T) {
	f, c, ls := seeded(t, 3)
	events := watching(t, c)
	now := time.Date(2026, 11, 27, 9, 15, 0, 0, time.UTC)
	f.SetNow(func() time.Time { return now })
	h, body := f.OrderHook(ls[2].SKU, 2)
	reply, err := deliver(t, c, h, body)
	if err != nil || reply != nil {
		t.Fatalf("Receive = %s, %v", reply, err)
	}
	got, ok := next(t, c, events)
	want := adapters.Event{Channel: "ebay_us", SKU: ls[2].SKU, Kind: adapters.EventOrder, Units: 2, At: now, ID: got.ID}
	if !ok || got != want || !strings.Contains(got.ID, "/") {
		t.Errorf("event %+v, want %+v", got, want)
	}
	// eBay delivers again until answered: the same notification is one
	// event.
	if _, err := deliver(t, c, h, body); err != nil {
		t.Fatal(err)
	}
	if e, ok := next(t, c, events); ok {
		t.Errorf("a notification delivered twice gave a second event %+v", e)
	}
	// The key is read once.
	h2, body2 := f.OrderHook(ls[1].SKU, 1)
	if _, err := deliver(t, c, h2, body2); err != nil {
		t.Fatal(err)
	}
	if e, ok := next(t, c, events); !ok || e.SKU != ls[1].SKU {
		t.Errorf("second order: %+v", e)
	}
	if n := f.Calls("getPublicKey"); n != 1 {
		t.Errorf("%d reads of the public key, want 1 (cached)", n)
	}
	if f.Calls("getOrder") != 2 {
		t.Errorf("%d order reads for two orders", f.Calls("getOrder"))
	}
}

func TestBadSignatures(t *testing.T) {
	f, c, ls := seeded(t, 1)
	h, body := f.OrderHook(ls[0].SKU, 1)
	other := ebaytest.New(t) // another key
	withSig := func(sig string) http.Header {
		x := h.Clone()
		x.Set("X-EBAY-SIGNATURE", sig)
		return x
	}
	header := func(m map[string]string) string {
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(raw)
	}
	tampered := bytes.Replace(body, []byte(`"orderId":"`), []byte(`"orderId":"9`), 1)
	for name, tc := range map[string]struct {
		h    http.Header
		body []byte
	}{
		"missing":              {http.Header{"Content-Type": {"application/json"}}, body},
		"not base64":           {withSig("%%%"), body},
		"not json":             {withSig(base64.StdEncoding.EncodeToString([]byte("kid=1"))), body},
		"no signature":         {withSig(header(map[string]string{"alg": "ecdsa", "kid": ebaytest.KeyID, "digest": "SHA1"})), body},
		"unknown key":          {withSig(header(map[string]string{"alg": "ecdsa", "kid": "no-such-key", "signature": "MEUCIQ==", "digest": "SHA1"})), body},
		"another key's":        {withSig(other.Sign(body)), body},
		"another body's":       {withSig(f.Sign([]byte(`{"metadata":{"topic":"ORDER_CONFIRMATION"}}`))), body},
		"tampered body":        {h, tampered},
		"signature not base64": {withSig(header(map[string]string{"alg": "ecdsa", "kid": ebaytest.KeyID, "signature": "!!", "digest": "SHA1"})), body},
	} {
		t.Run(name, func(t *testing.T) {
			events := watching(t, c)
			_, err := deliver(t, c, tc.h, tc.body)
			if !errors.Is(err, adapters.ErrBadSignature) {
				t.Errorf("Receive = %v, want ErrBadSignature", err)
			}
			if e, ok := next(t, c, events); ok {
				t.Errorf("a refused delivery gave an event %+v", e)
			}
		})
	}
	if f.Calls("getOrder") != 0 {
		t.Error("a refused delivery read an order")
	}
}

// The SDKs verify the payload's compact JSON: a body re-indented on the
// way still verifies, a changed one does not.
func TestSignatureOverCompactJSON(t *testing.T) {
	f, c, ls := seeded(t, 1)
	h, body := f.OrderHook(ls[0].SKU, 1)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	if _, err := deliver(t, c, h, pretty.Bytes()); err != nil {
		t.Errorf("an indented body: %v", err)
	}
}

func TestOtherTopicsLeftOut(t *testing.T) {
	f, c, _ := seeded(t, 1)
	events := watching(t, c)
	body := []byte(`{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION","schemaVersion":"1.0","deprecated":false},"notification":{"notificationId":"n-1","eventDate":"2026-11-27T09:15:00.000Z","data":{"username":"someone","userId":"u1","eiasToken":"t"}}}`)
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set("X-EBAY-SIGNATURE", f.Sign(body))
	if _, err := deliver(t, c, h, body); err != nil {
		t.Errorf("Receive = %v", err)
	}
	if e, ok := next(t, c, events); ok {
		t.Errorf("an account deletion gave an event %+v", e)
	}
	bad := []byte(`{"metadata":{},"notification":{}}`)
	h.Set("X-EBAY-SIGNATURE", f.Sign(bad))
	if _, err := deliver(t, c, h, bad); err == nil || errors.Is(err, adapters.ErrBadSignature) {
		t.Errorf("a signed payload without a topic: %v, want an error that is not a bad signature", err)
	}
}

func TestChallenge(t *testing.T) {
	_, c, _ := seeded(t, 0)
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/hooks/channel/ebay_us?challenge_code=a8628072-3d33-45ee-9004-bee86830a22d", nil)
	reply, err := c.Receive(t.Context(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("a8628072-3d33-45ee-9004-bee86830a22d" + ebaytest.VerificationToken + ebaytest.WebhookEndpoint))
	want := `{"challengeResponse":"` + hex.EncodeToString(sum[:]) + `"}`
	if string(reply) != want {
		t.Errorf("reply %s, want %s", reply, want)
	}
	// Without the token in the config there is nothing to answer with.
	f := newFake(t)
	s := setupFor(t, f.Config(""))
	s.Config = setupFor(t, strings.Split(f.Config(""), "verification_token")[0]).Config
	s.HTTPClient = f.Client()
	plain, err := Open(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Receive(t.Context(), r, nil); err == nil {
		t.Error("a challenge answered without a verification token")
	}
}

// A refresh token granted without the Fulfillment API's scope costs the
// order events alone: listings are read and written as ever, and an order
// notification fails to be read (eBay delivers it again) without being
// taken for a bad signature.
func TestOrdersWithoutTheirScope(t *testing.T) {
	f, c, ls := seeded(t, 3)
	f.WithoutOrderScope()
	var got []adapters.Listing
	if err := c.Observe(t.Context(), nil, func(p []adapters.Listing) error { got = append(got, p...); return nil }); err != nil || len(got) != 3 {
		t.Fatalf("observed %d listings: %v", len(got), err)
	}
	res := c.Apply(t.Context(), []adapters.Change{{Key: ls[0].Key, Kind: adapters.KindQuantity, Ref: got[0].Ref,
		From: adapters.QuantityValue(got[0].Quantity), To: adapters.Units(9)}})
	if res[0].Err != nil {
		t.Fatalf("apply: %v", res[0].Err)
	}
	h, body := f.OrderHook(ls[2].SKU, 1)
	_, err := deliver(t, c, h, body)
	if err == nil || errors.Is(err, adapters.ErrBadSignature) || !strings.Contains(err.Error(), "scope") {
		t.Errorf("an order read without its scope: %v", err)
	}
}
