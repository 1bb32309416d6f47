package tiktok

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
)

// The webhook types accord reads (see the package comment).
const (
	hookOrderStatus   = 1
	hookProductStatus = 5
	hookProductInfo   = 15
)

// hook is a webhook delivery's body.
type hook struct {
	Type      int             `json:"type"`
	ShopID    string          `json:"shop_id"`
	Timestamp int64           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// hookData is the data of the deliveries accord reads: an order's
// (order_id, order_status) or a product's (product_id).
type hookData struct {
	OrderID     string `json:"order_id"`
	OrderStatus string `json:"order_status"`
	ProductID   string `json:"product_id"`
	UpdateTime  int64  `json:"update_time"`
}

// parseHook reads a webhook body: its type, and the order or product it
// names. A body that is not a delivery is an error.
func parseHook(body []byte) (hook, hookData, error) {
	var h hook
	if err := json.Unmarshal(body, &h); err != nil {
		return hook{}, hookData{}, fmt.Errorf("webhook body: %w", err)
	}
	if h.Type == 0 {
		return hook{}, hookData{}, errors.New("webhook body: no type")
	}
	var d hookData
	if len(h.Data) > 0 && string(h.Data) != "null" {
		if err := json.Unmarshal(h.Data, &d); err != nil {
			return hook{}, hookData{}, fmt.Errorf("webhook body: data: %w", err)
		}
	}
	return h, d, nil
}

// Order statuses: a new order takes its units from the SKU's stock; a
// cancelled one gives them back.
var (
	newOrder       = map[string]bool{"UNPAID": true, "ON_HOLD": true, "AWAITING_SHIPMENT": true}
	cancelledOrder = "CANCELLED"
)

// Receive verifies one webhook delivery (its Authorization header, the
// HMAC-SHA256 of app_key and the raw body keyed with app_secret) and
// pushes the events it carries to Watch: an order's lines, read from the
// order detail (a delivery carries only the order's ID), as one EventOrder
// per SKU while the order is new, or EventListing when it is cancelled; a
// product's SKUs, read from the product, as EventListing. Other deliveries
// carry nothing accord reads.
func (c *Channel) Receive(ctx context.Context, r *http.Request, body []byte) ([]byte, error) {
	got := strings.ToLower(strings.TrimSpace(r.Header.Get("Authorization")))
	want := WebhookSignature(c.cfg.appKey, c.cfg.appSecret, body)
	if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return nil, fmt.Errorf("tiktok webhook for %s: %w", c.name, adapters.ErrBadSignature)
	}
	h, d, err := parseHook(body)
	if err != nil {
		return nil, &adapters.BadResponseError{Message: err.Error()}
	}
	at := time.Unix(h.Timestamp, 0)
	if h.Timestamp <= 0 {
		at = c.wall()
	}
	switch {
	case h.Type == hookOrderStatus && d.OrderID != "" && (newOrder[d.OrderStatus] || d.OrderStatus == cancelledOrder):
		evs, err := c.orderEvents(ctx, d.OrderID, d.OrderStatus == cancelledOrder, at)
		if err != nil {
			return nil, fmt.Errorf("tiktok webhook for %s: order %s: %w", c.name, d.OrderID, err)
		}
		c.hooks.Push(evs...)
	case (h.Type == hookProductStatus || h.Type == hookProductInfo) && d.ProductID != "":
		var p product
		if err := c.call(ctx, opGetProduct, "GET", productPath+url.PathEscape(d.ProductID), nil, nil, &p); err != nil {
			return nil, fmt.Errorf("tiktok webhook for %s: product %s: %w", c.name, d.ProductID, err)
		}
		for _, s := range p.Skus {
			if s.SellerSKU != "" {
				c.hooks.Push(adapters.Event{Channel: c.name, SKU: s.SellerSKU, Kind: adapters.EventListing, At: at})
			}
		}
	default:
		c.log.Debug("a TikTok webhook accord does not read", "type", h.Type, "order_status", d.OrderStatus)
	}
	return nil, nil
}

// Watch reports the events of the webhooks Receive verified.
func (c *Channel) Watch(ctx context.Context, fn func(adapters.Event)) error {
	return c.hooks.Watch(ctx, fn)
}

// order is an order of the order detail answer, as far as accord reads it.
type order struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	CreateTime int64  `json:"create_time"`
	LineItems  []struct {
		ID        string `json:"id"`
		SKUID     string `json:"sku_id"`
		ProductID string `json:"product_id"`
		SellerSKU string `json:"seller_sku"`
	} `json:"line_items"`
}

// ordersPath is the order detail read.
const ordersPath = "/order/202309/orders"

// orders reads the orders of ids (at most maxOrderIDs).
func (c *Channel) orders(ctx context.Context, ids []string) ([]order, error) {
	if len(ids) > maxOrderIDs {
		return nil, fmt.Errorf("order detail takes at most %d IDs, not %d", maxOrderIDs, len(ids))
	}
	var res struct {
		Orders []order `json:"orders"`
	}
	if err := c.call(ctx, opGetOrders, "GET", ordersPath, url.Values{"ids": {strings.Join(ids, ",")}}, nil, &res); err != nil {
		return nil, err
	}
	return res.Orders, nil
}

// orderEvents reads an order and returns its events (see eventsOf).
func (c *Channel) orderEvents(ctx context.Context, id string, cancelled bool, at time.Time) ([]adapters.Event, error) {
	os, err := c.orders(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return c.eventsOf(os, id, cancelled, at), nil
}

// eventsOf returns the events of order id among os: one per seller SKU,
// an EventOrder of its units (one line item a unit) for a new order, an
// EventListing for a cancelled one. At is the order's creation time for a
// new order, at otherwise.
func (c *Channel) eventsOf(os []order, id string, cancelled bool, at time.Time) []adapters.Event {
	var evs []adapters.Event
	for _, o := range os {
		if o.ID != id {
			continue
		}
		when := at
		if o.CreateTime > 0 && !cancelled {
			when = time.Unix(o.CreateTime, 0)
		}
		units := map[string]int64{}
		var skus []string
		for _, li := range o.LineItems {
			if li.SellerSKU == "" {
				c.log.Debug("a TikTok order line without a seller SKU", "order", id, "sku", li.SKUID)
				continue
			}
			if units[li.SellerSKU] == 0 {
				skus = append(skus, li.SellerSKU)
			}
			units[li.SellerSKU]++
		}
		sort.Strings(skus)
		for _, s := range skus {
			// TikTok tells of an order at each status it passes: its ID
			// makes the daemon count it once.
			ev := adapters.Event{Channel: c.name, SKU: s, Kind: adapters.EventOrder, Units: units[s], At: when, ID: id}
			if cancelled {
				ev.Kind, ev.Units, ev.ID = adapters.EventListing, 0, ""
			}
			evs = append(evs, ev)
		}
	}
	return evs
}
