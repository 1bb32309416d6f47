package shopify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/accordhq/accord/adapters"
)

// Shopify's webhooks (https://shopify.dev/docs/apps/build/webhooks): a
// POST whose raw body is signed with the app's client secret, the base64
// HMAC-SHA256 in X-Shopify-Hmac-Sha256; the topic in X-Shopify-Topic; a
// delivery ID in X-Shopify-Webhook-Id that a retried delivery keeps. The
// payloads are the REST Admin API's resources: an order's line_items carry
// sku and quantity, an inventory level carries inventory_item_id,
// location_id and available, a product carries its variants with their
// sku.

// The topics the adapter turns into events; any other is taken and
// ignored.
const (
	topicOrderCreate    = "orders/create"
	topicOrderCancelled = "orders/cancelled"
	topicInventoryLevel = "inventory_levels/update"
	topicProductUpdate  = "products/update"
)

// maxSeen is how many delivery IDs the adapter remembers to drop
// Shopify's retries of a delivery it already took.
const maxSeen = 4096

// hookOrder is the part of an order webhook the adapter reads.
type hookOrder struct {
	ID        json.Number `json:"id"`
	CreatedAt string      `json:"created_at"`
	UpdatedAt string      `json:"updated_at"`
	LineItems []struct {
		SKU      *string `json:"sku"`
		Quantity int64   `json:"quantity"`
	} `json:"line_items"`
}

// hookLevel is an inventory_levels/update payload.
type hookLevel struct {
	InventoryItemID json.Number `json:"inventory_item_id"`
	LocationID      json.Number `json:"location_id"`
	Available       *int64      `json:"available"`
	UpdatedAt       string      `json:"updated_at"`
}

// hookProduct is a products/update payload.
type hookProduct struct {
	UpdatedAt string `json:"updated_at"`
	Variants  []struct {
		SKU *string `json:"sku"`
	} `json:"variants"`
}

// Receive verifies a webhook delivery and puts its events on the Watch
// feed (adapters.HookReceiver).
func (c *Channel) Receive(_ context.Context, r *http.Request, body []byte) ([]byte, error) {
	if c.cfg.webhookSecret == "" {
		return nil, fmt.Errorf("%w: channel %s has no webhook_secret to verify it with", adapters.ErrBadSignature, c.name)
	}
	if !validHMAC(c.cfg.webhookSecret, body, r.Header.Get("X-Shopify-Hmac-Sha256")) {
		return nil, fmt.Errorf("%w: X-Shopify-Hmac-Sha256 does not match the body", adapters.ErrBadSignature)
	}
	if id := r.Header.Get("X-Shopify-Webhook-Id"); id != "" && c.seenDelivery(id) {
		c.log.Debug("webhook delivered again; dropped", slog.String("id", id))
		return nil, nil
	}
	evs, err := c.hookEvents(r.Header.Get("X-Shopify-Topic"), body)
	if err != nil {
		// Signed by Shopify but not the documented shape: take it (a
		// refusal would only be retried) and say so.
		c.log.Warn("webhook not understood; the next resync observes the channel", slog.String("topic", r.Header.Get("X-Shopify-Topic")), slog.Any("err", err))
		return nil, nil
	}
	c.hooks.Push(evs...)
	return nil, nil
}

// Watch serves the events of verified webhooks (adapters.Watcher).
func (c *Channel) Watch(ctx context.Context, fn func(adapters.Event)) error {
	return c.hooks.Watch(ctx, fn)
}

// validHMAC reports whether header is the base64 HMAC-SHA256 of body under
// secret.
func validHMAC(secret string, body []byte, header string) bool {
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign is the X-Shopify-Hmac-Sha256 of body under secret, as Shopify
// computes it.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// seenDelivery records a delivery ID and reports whether it was seen.
func (c *Channel) seenDelivery(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[string]bool, maxSeen)
	}
	if c.seen[id] {
		return true
	}
	if len(c.seenOrder) >= maxSeen {
		delete(c.seen, c.seenOrder[0])
		c.seenOrder = c.seenOrder[1:]
	}
	c.seen[id] = true
	c.seenOrder = append(c.seenOrder, id)
	return false
}

// hookEvents reads one payload of topic.
func (c *Channel) hookEvents(topic string, body []byte) ([]adapters.Event, error) {
	switch topic {
	case topicOrderCreate, topicOrderCancelled:
		var o hookOrder
		if err := json.Unmarshal(body, &o); err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		at := hookTime(o.CreatedAt)
		kind := adapters.EventOrder
		if topic == topicOrderCancelled {
			// Units may come back to stock: the listing moved.
			kind, at = adapters.EventListing, hookTime(o.UpdatedAt)
		}
		var evs []adapters.Event
		for _, li := range o.LineItems {
			if li.SKU == nil || *li.SKU == "" || li.Quantity < 0 {
				continue
			}
			ev := adapters.Event{Channel: c.name, SKU: *li.SKU, Kind: kind, At: at}
			if kind == adapters.EventOrder {
				ev.Units, ev.ID = li.Quantity, o.ID.String()
			}
			evs = append(evs, ev)
		}
		return evs, nil
	case topicInventoryLevel:
		var l hookLevel
		if err := json.Unmarshal(body, &l); err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		item := gidInventoryItem + l.InventoryItemID.String()
		c.mu.Lock()
		sku, known := c.items[item]
		loc := c.location
		c.mu.Unlock()
		if !known {
			c.log.Debug("inventory webhook for an item accord has not observed; left to the resync", slog.String("item", item))
			return nil, nil
		}
		if loc != "" && l.LocationID.String() != "" && gidLocation+l.LocationID.String() != loc {
			return nil, nil
		}
		if l.Available != nil && c.ownWrite(item, *l.Available) {
			return nil, nil
		}
		return []adapters.Event{{Channel: c.name, SKU: sku, Kind: adapters.EventListing, At: hookTime(l.UpdatedAt)}}, nil
	case topicProductUpdate:
		var p hookProduct
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		var evs []adapters.Event
		for _, v := range p.Variants {
			if v.SKU != nil && *v.SKU != "" {
				evs = append(evs, adapters.Event{Channel: c.name, SKU: *v.SKU, Kind: adapters.EventListing, At: hookTime(p.UpdatedAt)})
			}
		}
		return evs, nil
	}
	return nil, nil
}

// hookTime reads a payload's timestamp; zero when it has none.
func hookTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// learnItem remembers which SKU an inventory item is, from an observed
// listing, so that an inventory webhook can name it.
func (c *Channel) learnItem(item, sku string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]string{}
	}
	c.items[item] = sku
}

// wrote remembers a quantity accord set on an inventory item, so that the
// inventory webhook that echoes it is left out.
func (c *Channel) wrote(item string, qty int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastSet == nil {
		c.lastSet = map[string]int64{}
	}
	c.lastSet[item] = qty
}

// ownWrite reports whether available is the quantity accord last set on
// item (the echo of its own write), forgetting it either way: the next
// level is someone else's.
func (c *Channel) ownWrite(item string, available int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, ok := c.lastSet[item]
	delete(c.lastSet, item)
	return ok && q == available
}
