package shopifytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WebhookSecret is the app's client secret the store signs its webhooks
// with: a channel's webhook_secret.
const WebhookSecret = "shpss_test_client_secret" //nolint:gosec // G101: the fake's own test secret

// OrderHook lands an order of units of sku, as Sell does, and returns the
// orders/create webhook Shopify would send for it: its headers and raw
// body, signed with WebhookSecret (X-Shopify-Hmac-Sha256 over the body).
func (f *Store) OrderHook(sku string, units int64) (http.Header, []byte) {
	f.Sell(sku, units)
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	v := f.variantBySKU(sku)
	f.mu.Unlock()
	variant := int64(0)
	if v != nil {
		_, _ = fmt.Sscanf(v.id[strings.LastIndex(v.id, "/")+1:], "%d", &variant)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	body, err := json.Marshal(map[string]any{
		"id": id, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Order/%d", id),
		"name": fmt.Sprintf("#%d", id), "created_at": now, "updated_at": now,
		"currency": "USD", "financial_status": "paid",
		"line_items": []map[string]any{{
			"id": id*10 + 1, "sku": sku, "quantity": units, "variant_id": variant,
			"price": "0.00", "title": sku,
		}},
	})
	if err != nil {
		f.t.Fatalf("fake: order webhook: %v", err)
	}
	return f.hookHeader("orders/create", id, body), body
}

// LevelHook returns the inventory_levels/update webhook for sku's level
// at LocationID as it stands.
func (f *Store) LevelHook(sku string) (http.Header, []byte) {
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	v := f.variantBySKU(sku)
	var item string
	var avail int64
	if v != nil {
		item = v.item
		avail = f.levels[v.item][LocationID]
	}
	f.mu.Unlock()
	num := func(gid string) json.Number { return json.Number(gid[strings.LastIndex(gid, "/")+1:]) }
	body, err := json.Marshal(map[string]any{
		"inventory_item_id": num(item), "location_id": num(LocationID), "available": avail,
		"updated_at": time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		f.t.Fatalf("fake: level webhook: %v", err)
	}
	return f.hookHeader("inventory_levels/update", id, body), body
}

// hookHeader is the headers of a webhook delivery of topic.
func (f *Store) hookHeader(topic string, id int, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(WebhookSecret))
	mac.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	h.Set("X-Shopify-Shop-Domain", "northwind-audio.myshopify.com")
	f.mu.Lock()
	h.Set("X-Shopify-API-Version", f.version)
	f.mu.Unlock()
	h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("b54557e4-bdd9-4b37-8a5f-%012d", id))
	return h
}
