package walmart

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// notification is a Walmart webhook delivery: {source{eventType, eventTime,
// eventId}, payload{...}}, and the payload fields accord reads: an order's
// lines (PO_CREATED), the SKU of an item event (OFFER_UNPUBLISHED...), or
// an ORDER_UPDATES envelope with payload.subEventType and payload.order.
type notification struct {
	Source struct {
		EventType string          `json:"eventType"`
		EventTime json.RawMessage `json:"eventTime"`
		EventID   string          `json:"eventId"`
	} `json:"source"`
	Payload struct {
		SubEventType    string          `json:"subEventType"`
		PurchaseOrderID string          `json:"purchaseOrderId"`
		OrderDate       json.RawMessage `json:"orderDate"`
		OrderLines      []orderLine     `json:"orderLines"`
		Order           *struct {
			OrderLines []orderLine `json:"orderLines"`
		} `json:"order"`
		SKU string `json:"sku"`
	} `json:"payload"`
}

type orderLine struct {
	LineNumber string `json:"lineNumber"`
	SKU        string `json:"sku"`
	Quantity   struct {
		MeasurementValue json.RawMessage `json:"measurementValue"`
	} `json:"quantity"`
}

// Receive verifies a notification by its HMAC-SHA256 (the subscription's
// authMethod HMAC, keyed with webhook_secret, in the webhook_header) and
// pushes its events to Watch: an order's lines as EventOrder, an item's
// event as EventListing. A delivery whose signature is missing or wrong is
// refused with adapters.ErrBadSignature and changes nothing.
func (c *Channel) Receive(_ context.Context, r *http.Request, body []byte) ([]byte, error) {
	if c.cfg.WebhookSecret == "" {
		return nil, fmt.Errorf("channel %s has no webhook_secret to verify notifications with: %w", c.name, adapters.ErrBadSignature)
	}
	if !verify(c.cfg.WebhookSecret, r.Header.Get(c.cfg.WebhookHeader), body) {
		return nil, fmt.Errorf("channel %s: notification without a valid %s: %w", c.name, c.cfg.WebhookHeader, adapters.ErrBadSignature)
	}
	evs, err := parseNotification(c.name, body)
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", c.name, err)
	}
	if len(evs) == 0 {
		c.log.Debug("notification carries nothing accord watches", "body_bytes", len(body))
	}
	c.hooks.Push(evs...)
	return nil, nil
}

// Watch reports the events of the notifications Receive verifies.
func (c *Channel) Watch(ctx context.Context, fn func(adapters.Event)) error {
	c.watching.Add(1)
	defer c.watching.Add(-1)
	return c.hooks.Watch(ctx, fn)
}

// verify checks sig, the HMAC-SHA256 of body under secret, hex or base64
// (Walmart's documents do not say which), in constant time.
func verify(secret, sig string, body []byte) bool {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	want := m.Sum(nil)
	if got, err := hex.DecodeString(sig); err == nil && len(got) == len(want) {
		return hmac.Equal(got, want)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if got, err := enc.DecodeString(sig); err == nil && len(got) == len(want) {
			return hmac.Equal(got, want)
		}
	}
	return false
}

// listingEvents are the event types that say a listing moved.
var listingEvents = map[string]bool{
	"OFFER_UNPUBLISHED": true, "OFFER_PUBLISHED": true, "INVENTORY_OOS": true,
	"BUY_BOX_CHANGED": true, "ITEM_UPDATE": true, "INVENTORY_UPDATE": true,
}

// parseNotification turns a notification into events of channel.
func parseNotification(channel string, body []byte) ([]adapters.Event, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, &adapters.BadResponseError{Message: "a notification that is not JSON: " + err.Error()}
	}
	at := eventTime(n.Source.EventTime)
	if at.IsZero() {
		at = eventTime(n.Payload.OrderDate)
	}
	typ := n.Source.EventType
	if typ == "ORDER_UPDATES" {
		typ = n.Payload.SubEventType
	}
	var out []adapters.Event
	switch {
	case typ == "PO_CREATED":
		lines := n.Payload.OrderLines
		if n.Payload.Order != nil {
			lines = append(lines, n.Payload.Order.OrderLines...)
		}
		for i, l := range lines {
			units, ok := lineUnits(l.Quantity.MeasurementValue)
			if l.SKU == "" || !ok {
				return nil, &adapters.BadResponseError{Message: fmt.Sprintf("order %s has a line without a SKU or a whole quantity", n.Payload.PurchaseOrderID)}
			}
			// The purchase order and its line: Walmart may deliver a
			// notification again, and the daemon counts an order once.
			line := l.LineNumber
			if line == "" {
				line = strconv.Itoa(i + 1)
			}
			id := ""
			if n.Payload.PurchaseOrderID != "" {
				id = n.Payload.PurchaseOrderID + "/" + line
			}
			out = append(out, adapters.Event{Channel: channel, SKU: l.SKU, Kind: adapters.EventOrder, Units: units, At: at, ID: id})
		}
	case listingEvents[typ] && n.Payload.SKU != "":
		out = append(out, adapters.Event{Channel: channel, SKU: n.Payload.SKU, Kind: adapters.EventListing, At: at})
	}
	return out, nil
}

// lineUnits reads measurementValue: a numeric string ("1"), or a number.
func lineUnits(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil || !d.IsInteger() || !d.IsPositive() || d.GreaterThan(decimal.NewFromInt(1<<40)) {
		return 0, false
	}
	return d.IntPart(), true
}

// eventTime reads an ISO 8601 time or epoch milliseconds; zero for neither.
func eventTime(raw json.RawMessage) time.Time {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}
