// Package walmart is the channel adapter for Walmart Marketplace (US),
// through its v3 REST API. It owns the wire format of the calls accord
// makes, the client-credentials token, the pacing of each operation and of
// the hourly feed limits, the merging of changes that wait for a feed slot,
// and the verification of Walmart's webhook notifications; it does not own
// what accord wants listed (the spec) nor what happened before (the store).
//
// Walmart publishes its OpenAPI documents without a licence that allows
// copying them, so the tests validate every request against JSON Schemas
// derived from them by hand (walmarttest/schemas, each naming its source).
// The documents read are the "original" copies kept in api-search/commerce-node
// (_data/walmart/properties/walmart-marketplace-*-openapi-original.yml, commit
// 51cc3c63239822874ee23d734cf2cd3ac51361e9), each fact below from the file
// named:
//
//   - authentication: POST /v3/token, Authorization Basic
//     base64(clientId:clientSecret), form grant_type=client_credentials,
//     answer {access_token, token_type, expires_in} (example 900 s).
//   - every business call (all files): the headers WM_SEC.ACCESS_TOKEN,
//     WM_SVC.NAME and WM_QOS.CORRELATION_ID ("use a random generated GUID")
//     are required; errors come as {errors[{code, field, description, info,
//     severity, category}]}.
//   - items: getAllItems, GET /v3/items with nextCursor ("*" first) and
//     limit (at most 50), or sku for one item; the answer {ItemResponse[{sku,
//     gtin, productName, price{currency, amount}, publishedStatus}],
//     totalItems, nextCursor}, no nextCursor on the last page. itemBulkUploads,
//     POST /v3/feeds?feedType=MP_MAINTENANCE, multipart file (the
//     "V4.8 MP_MAINTENANCE" example: MPItemFeedHeader and
//     MPItem[{Orderable{sku, productIdentifiers, productName}}]), at most
//     10,000 items a feed.
//   - inventory: getInventory and updateInventoryForAnItem, GET and PUT
//     /v3/inventory?sku=&shipNode= with {sku, quantity{unit EACH, amount}};
//     getMultiNodeInventoryForAllSkuAndAllShipNodes, GET
//     /v3/inventories?limit=&nextCursor= (limit at most 50), answering
//     {meta{totalCount, nextCursor}, elements{inventories[{sku,
//     nodes[{shipNode, inputQty}]}]}}: 50 SKUs a call where getInventory
//     reads one, so a full read uses it; updateBulkInventory, POST
//     /v3/feeds?feedType=inventory&shipNode=, multipart file
//     {InventoryHeader{version 1.4}, Inventory[{sku, quantity}]}.
//   - prices: updatePrice, PUT /v3/price {sku, pricing[{currentPriceType,
//     currentPrice{currency, amount}, comparisonPriceType, comparisonPrice}]};
//     priceBulkUploads, POST /v3/feeds?feedType=price, multipart file
//     {PriceHeader{version 1.7}, Price[{sku, pricing[...]}]}, at most 10,000
//     items a feed.
//   - promotions: updatePromotionalPrices, PUT /v3/price?promo=true with
//     pricing[{currentPriceType REDUCED, currentPrice, comparisonPriceType
//     BASE, comparisonPrice, effectiveDate, expirationDate, processMode
//     UPSERT}]: Walmart itself starts and ends the reduced price on time;
//     getPromotionalPrices, GET /v3/promo/sku/{sku}, answering
//     payload.pricingList.pricing[{currentPriceType, currentPrice{value{amount}},
//     comparisonPrice{value{amount}}, effectiveDate, expirationDate (epoch
//     milliseconds)}].
//   - feeds: getFeedItemStatus, GET /v3/feeds/{feedId}?includeDetails=true
//     &offset=&limit= (limit at most 50; the feed ID's @ escaped as %40),
//     answering {feedStatus RECEIVED|INPROGRESS|PROCESSED|ERROR,
//     itemDetails{itemIngestionStatus[{sku, index, ingestionStatus
//     SUCCESS|INPROGRESS|DATA_ERROR|SYSTEM_ERROR|TIMEOUT_ERROR,
//     ingestionErrors}]}}.
//   - notifications: createSubscription's description: with authMethod
//     HMAC, Walmart sends in the header named authHeaderName "HMACSHA256 of
//     complete response, using clientSecret as key"; event types PO_CREATED
//     (resource ORDER), OFFER_UNPUBLISHED (ITEM), BUY_BOX_CHANGED (PRICE).
//
// What the documents leave out, each from its source:
//
//   - feed limits: Seller Center's "Track item setup or maintenance activity"
//     table (marketplacelearn.walmart.com): inventory feeds 10 an hour, 5 MB,
//     50,000 items; price feeds 10 an hour, 10 MB, 10,000 items; item feeds
//     10 an hour; promotion feeds 6 a day (so promotions go one SKU a call,
//     never by feed). The developer guide's "Item management API requests"
//     (developer.walmart.com/us-marketplace/docs/item-management-available-requests):
//     MP_MAINTENANCE 10 an hour, feed item status 5000 a minute.
//   - the PO_CREATED payload ({source{eventType, eventTime, eventId},
//     payload{purchaseOrderId, orderLines[{lineNumber, sku,
//     quantity{unitOfMeasure, measurementValue}}]}}):
//     developer.walmart.com/us-marketplace/docs/purchase-order-po-created-event.
//   - cursor pages of 50 with nextCursor:
//     developer.walmart.com/us-marketplace/docs/return-your-entire-item-list.
//   - MP_MAINTENANCE needs only sku and productIdentifiers, an attribute
//     left out is unchanged:
//     developer.walmart.com/us-marketplace/docs/update-my-existing-items.
//   - rate-limit headers: the "Rate limiting" pages
//     (developer.walmart.com/doc/us/us-dsv/us-dsv-rate-limit/,
//     developer.walmart.com/suppliers/docs/rate-limiting, and the
//     announcement developer.walmart.com/us/whats-new/new-throttling-information-is-now-available/)
//     say answers carry X-Current-Token-Count, the requests still allowed
//     in the current window, and X-Next-Replenishment-Time, the time the
//     window ends and the count is reset, that a call over the limit is
//     answered 429, and that using the headers gives access to higher
//     allotments. After each answer the adapter spreads the count left
//     over the rest of the window (faster or slower than its guess, never
//     above call_rate when set nor above a documented rate), and a count
//     of 0 holds the operation until the window ends (see learn).
//
// Unconfirmed, and chosen so: the rates of the single-item calls (the
// documents give none; the adapter starts each operation at a guess, 20 a
// second, then paces it by the headers above, and obeys 429 with
// Retry-After, else until the window ends); the format of
// X-Next-Replenishment-Time (the pages show no value: epoch milliseconds,
// the form of the API's other times and the one the fake sends, epoch
// seconds, RFC 3339 and HTTP dates are taken; anything else, a past time or
// one more than 25 hours ahead, and a count that is not a whole number, make
// the answer's headers ignored), that the headers count per operation (the
// pages say only "for each API"), and that the marketplace API sends them
// at all (the pages that name them are the drop-ship vendor's, the
// supplier's and the announcement; the part of the marketplace's own
// "Rate limiting" page, developer.walmart.com/us-marketplace/docs/throttling,
// read here names neither); a replenishment time is read on the
// adapter's clock, so a skewed clock shifts the holds, which are capped at
// an hour; whether the HMAC of a notification is hex or
// base64 (both are accepted); the payloads of OFFER_UNPUBLISHED and the
// inventory events beyond payload.sku; that a regular price without a
// comparisonPrice keeps the comparison price, and that a comparison price of
// 0 removes it (the documents mark comparisonPrice "applicable only for
// promotions", yet the price feed example sends one without a window).
//
// The listing: price is the price in effect (the item read's), compare_at
// the comparison price of the promotion in effect, else of the BASE price
// (getPromotionalPrices, one call per SKU, turned off with read_promotions =
// false), quantity the inputQty at ship_node (at the only node, or the sum
// of the nodes, when ship_node is not set), the fields title (productName)
// and gtin, and status the publishedStatus in lower case ("published",
// "unpublished"). The adapter reference is "GTIN:SKU": a title is changed by
// an MP_MAINTENANCE feed that must name the item's GTIN, and a change that
// carries another listing's reference is refused.
package walmart

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// ConfigSpec is the schema of a walmart channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"client_id":       &hcldec.AttrSpec{Name: "client_id", Type: cty.String, Required: true},
	"client_secret":   &hcldec.AttrSpec{Name: "client_secret", Type: cty.String, Required: true},
	"endpoint":        &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"service_name":    &hcldec.AttrSpec{Name: "service_name", Type: cty.String},
	"feed_threshold":  &hcldec.AttrSpec{Name: "feed_threshold", Type: cty.Number},
	"ship_node":       &hcldec.AttrSpec{Name: "ship_node", Type: cty.String},
	"read_promotions": &hcldec.AttrSpec{Name: "read_promotions", Type: cty.Bool},
	"webhook_secret":  &hcldec.AttrSpec{Name: "webhook_secret", Type: cty.String},
	"webhook_header":  &hcldec.AttrSpec{Name: "webhook_header", Type: cty.String},
	"call_rate":       &hcldec.AttrSpec{Name: "call_rate", Type: cty.Number},
}

// Kind is the walmart channel kind.
var Kind = adapters.Kind{
	Name:    "walmart",
	Summary: "Walmart Marketplace API",
	Config:  ConfigSpec,
	Secrets: secretAttrs,
	Open: func(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
		return Open(ctx, setup)
	},
	Profile: adapters.Profile{
		Marketplace: "Walmart",
		PricingPolicy: "Pricing rules: Walmart unpublishes an offer priced far above recent prices on or off Walmart " +
			"(\"Reasonable Price Not Satisfied\") until its price comes down.",
		Requires: []string{"gtin", "brand"},
	},
}

// Defaults of the config block.
const (
	DefaultEndpoint    = "https://marketplace.walmartapis.com"
	DefaultServiceName = "Walmart Marketplace"
	// DefaultFeedThreshold is how many changes an apply may carry before
	// its quantities and prices go by feed instead of one call per SKU:
	// feeds are limited to 10 an hour per type and take up to 30 minutes,
	// one-SKU calls land in minutes, so only a plan that would spend more
	// than a few seconds of calls goes by feed.
	DefaultFeedThreshold = 100
	// DefaultWebhookHeader is the header a notification's HMAC arrives in:
	// the authHeaderName of the subscription, "Authorization" in every
	// example of Walmart's.
	DefaultWebhookHeader = "Authorization"
)

// secretAttrs are the attributes that may only be given through env().
var secretAttrs = []string{"client_id", "client_secret", "webhook_secret"}

// Config is a walmart channel's decoded config block.
type Config struct {
	ClientID, ClientSecret string
	// Endpoint is the API's base URL; ServiceName goes in WM_SVC.NAME.
	Endpoint, ServiceName string
	// FeedThreshold: an apply of more changes goes by feed.
	FeedThreshold int
	// ShipNode is the ship node whose quantity accord manages; "" for the
	// seller's default.
	ShipNode string
	// ReadPromotions reads each listing's promotional prices for its
	// compare-at price.
	ReadPromotions bool
	// CallRate is how many calls a second go to each operation whose
	// rate Walmart's documents do not give (0: the guess, 20, which the
	// rate-limit headers raise or lower); when set, the headers may slow
	// an operation below it but never raise it above.
	CallRate int
	// WebhookSecret is the HMAC key of the notification subscription ("":
	// notifications are refused); WebhookHeader the header it signs in.
	WebhookSecret, WebhookHeader string
}

// DecodeConfig decodes and checks a walmart config block. Every problem is
// reported at its attribute, together.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	b := apikit.Decode(setup, ConfigSpec, secretAttrs, "WALMART")
	cfg := Config{
		ClientID:       b.Required("client_id"),
		ClientSecret:   b.Required("client_secret"),
		Endpoint:       b.URL("endpoint", DefaultEndpoint),
		ServiceName:    b.String("service_name"),
		FeedThreshold:  b.Int("feed_threshold", DefaultFeedThreshold, 0, maxBatch, "an apply of more changes goes by feed"),
		ShipNode:       b.String("ship_node"),
		ReadPromotions: b.Bool("read_promotions", true),
		WebhookSecret:  b.String("webhook_secret"),
		WebhookHeader:  b.String("webhook_header"),
		CallRate:       b.Int("call_rate", 0, 1, 10_000, "calls a second to each operation whose rate Walmart does not document"),
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = DefaultServiceName
	}
	if cfg.WebhookHeader == "" {
		cfg.WebhookHeader = DefaultWebhookHeader
	}
	return cfg, b.Err()
}

// Walmart's documented sizes.
const (
	// maxPage is the most items (getAllItems) or inventories
	// (getMultiNodeInventoryForAllSkuAndAllShipNodes) a page carries.
	maxPage = 50
	// maxBatch is the most items a price or item feed carries, and so the
	// most changes an Apply may carry (an inventory feed takes 50,000).
	maxBatch = 10_000
)

// Channel is an open walmart channel.
type Channel struct {
	cfg      Config
	name     string
	currency string
	scale    int32
	http     *http.Client
	log      interface {
		Debug(msg string, args ...any)
	}
	ua     string
	now    func() time.Time
	budget *adapters.Budget
	token  *tokenSource
	feeds  map[string]*feedQueue
	hooks  apikit.Hooks
	// watching counts the Watch calls running.
	watching atomic.Int32
}

// Interfaces the adapter keeps.
var (
	_ adapters.Channel      = (*Channel)(nil)
	_ adapters.Confirmer    = (*Channel)(nil)
	_ adapters.HookReceiver = (*Channel)(nil)
)

// Open opens a walmart channel. It makes no call: the first Observe or
// Apply asks for a token.
func Open(_ context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	hc, now, ua := apikit.HTTPClient(setup), apikit.Clock(setup), apikit.UserAgent(setup)
	// The budget's key names the account without its credential.
	sum := sha256.Sum256([]byte(cfg.ClientID))
	c := &Channel{
		cfg: cfg, name: setup.Name, currency: setup.Currency, scale: setup.Scale,
		http: hc, log: setup.Logger(), ua: ua, now: now,
		budget: setup.Budget("walmart:"+hex.EncodeToString(sum[:6]), adapters.Unlimited, adapters.Unlimited),
	}
	if c.currency == "" {
		c.currency = "USD"
	}
	c.token = newTokenSource(c)
	c.feeds = map[string]*feedQueue{}
	for _, k := range feedKinds {
		c.feeds[k.feedType] = &feedQueue{kind: k}
	}
	return c, nil
}

// Limits are the sizes of a page of items or inventories and of a price
// or item feed.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: maxBatch, PageSize: maxPage}
}
