// Package ebay is the channel adapter for eBay, through the Sell Inventory
// API, with order events from the Notification API. It owns the wire format
// of the calls accord makes to eBay, the OAuth token exchange, the pacing
// of the account and the verification of eBay's notifications; it does not
// own what accord wants listed (the spec), the count of revisions a listing
// has had today (the controller keeps it in the store) nor what happened
// before (the store).
//
// # Sources
//
// Paths, parameters and bodies come from eBay's OpenAPI document
// sell_inventory_v1_oas3.json, info.version 1.18.4 (eBay API License
// Agreement: not committed; read from YosefHayim/ebay-mcp
// docs/sell-apps/listing-management/). The request bodies accord sends are
// held to JSON Schemas derived from its components (ebaytest/schemas, each
// naming the component it comes from):
//
//   - getInventoryItems: GET /sell/inventory/v1/inventory_item?limit&offset,
//     limit 1 to 200 (default 25), answered InventoryItems {inventoryItems[],
//     next, total}. The document calls offset a page number; the adapter
//     follows the offset and limit of the answer's next URL instead of
//     computing one, so either reading works.
//   - bulkGetInventoryItem: POST /bulk_get_inventory_item, BulkGetInventoryItem
//     {requests[{sku}]} of at most 25, answered 200 or 207
//     BulkGetInventoryItemResponse {responses[{statusCode, sku,
//     inventoryItem, errors}]}; a SKU eBay lacks is error 25702.
//   - getOffers: GET /offer?sku&marketplace_id (sku required by the
//     description of Offers.offers; there is no bulk read of offers), answered
//     Offers {offers[EbayOfferDetailsWithAll]}. A SKU without an offer is
//     taken to be answered 404 (25713) or 400 (25702): unconfirmed, the
//     adapter takes either as "no offer".
//   - getOffer and updateOffer: GET and PUT /offer/{offerId}; the PUT is a
//     whole EbayOfferDetailsWithId ("does a complete replacement") with the
//     Content-Language header.
//   - getInventoryItem and createOrReplaceInventoryItem: GET and PUT
//     /inventory_item/{sku}; the PUT is a whole InventoryItem ("all fields
//     that are currently defined ... are required") with Content-Language.
//   - bulkUpdatePriceQuantity: POST /bulk_update_price_quantity,
//     BulkPriceQuantity {requests[{sku, shipToLocationAvailability{quantity},
//     offers[{offerId, availableQuantity, price{value, currency}}]}]},
//     answered 200 or 207 BulkPriceQuantityResponse {responses[{sku, offerId,
//     statusCode, errors[], warnings[]}]}.
//   - the Error shape {errors[{errorId, domain, category, message,
//     longMessage, parameters}]} and the error ids of each operation's
//     x-response-codes (25001 system error, 25002 user error, 25709 invalid
//     value, 25702 unknown SKU, 25713 offer not available, 25019 cannot revise
//     the listing).
//   - PricingSummary: price, originalRetailPrice (strike-through, "compare
//     at"), minimumAdvertisedPrice (MAP); Product: title (80 characters),
//     description, brand (a Brand aspect is "picked up by the brand field"),
//     aspects, ean, upc, isbn.
//
// OAuth (eBay/ebay-oauth-python-client, oauthclient/model/util.py and
// oauth2api.py): POST https://api.ebay.com/identity/v1/oauth2/token with
// Basic base64(client_id:client_secret), a form of grant_type=refresh_token,
// refresh_token and scope (space-separated) for the seller's token, or
// grant_type=client_credentials and scope for an application token; answer
// {access_token, expires_in}, errors {error, error_description}. Calls send
// Authorization: Bearer. An expired or invalid access token is answered 401
// with errorId 1001 (eBay's "Invalid access token", OAuth domain): the
// adapter exchanges the refresh token again once and repeats the call.
//
// Notifications (eBay/event-notification-nodejs-sdk lib/validator.js,
// lib/client.js, lib/constants.js and eBay/event-notification-java-sdk
// SignatureValidator.java, EndpointValidator.java): a delivery is a POST of
// {metadata{topic}, notification{notificationId, eventDate, data}} with the
// header X-EBAY-SIGNATURE, base64 of {alg, kid, signature, digest}; the
// signature (base64, ASN.1 DER ECDSA, SHA-1 digest) is checked with the
// public key of kid from GET /commerce/notification/v1/public_key/{kid}
// (commerce_notification_v1_oas3.json: an application token, answered
// {algorithm, digest, key} with the key a PEM without line breaks), cached
// by kid. The SDKs verify the compact JSON of the payload: the adapter
// verifies the raw body, and its compact form when that fails. The
// endpoint's validation is a GET with challenge_code, answered
// {"challengeResponse": hex(SHA-256(challengeCode + verificationToken +
// endpoint))}. The ORDER_CONFIRMATION topic (Notification API release
// 1.6.6; developer.ebay.com .../asyncapi/order_confirmation.yaml: "generated
// for each line item in the order. The seller looks up the orderId") gives
// an order ID (data.orderId, and data.lineItemId when it names the line:
// field names unconfirmed): its lines' SKUs and quantities are read with the Fulfillment
// API's getOrder (GET /sell/fulfillment/v1/order/{orderId},
// sell_fulfillment_v1_oas3.json: Order {orderId, creationDate, lineItems[{
// lineItemId, sku, quantity}]}). Other topics carry no SKU and are left
// out.
//
// # Quantities, prices and fields
//
// A listing is an inventory item and its offer on the configured
// marketplace (the FIXED_PRICE offer when there are two). Its quantity is
// what buyers see: the smaller of the item's shipToLocationAvailability
// quantity and the offer's availableQuantity ("the quantity specified on a
// listing will be the minimum value between these two fields"), and a
// quantity change sets both, as eBay's bulk-updates guide asks. Its price is
// the offer's pricingSummary.price, compare_at its originalRetailPrice; the
// fields are title, description, brand (product.brand, else the Brand
// aspect), gtin (product.ean, upc or isbn, read only: it is the product's
// identity) and minimum_advertised_price (pricingSummary
// .minimumAdvertisedPrice). An inventory item without an offer on the
// marketplace is not a listing. The reference (adapters.Ref) is the offer
// ID.
//
// # Revisions and batching
//
// eBay allows 250 revisions of a listing a calendar day ("Each listing can
// be revised up to 250 times in one calendar day", in the descriptions of
// every revising operation). Each successful call that changes a listing
// counts one: one entry (one SKU) of a bulkUpdatePriceQuantity, one PUT of
// its inventory item, one PUT of its offer. Apply groups the changes of a
// SKU so that it costs at most one of each: fields go in the item's PUT
// (with the quantity, when it changes too), compare_at and the minimum
// advertised price in the offer's PUT (with the price and the offer's
// quantity), and what is left of a price or quantity in one bulk entry.
// The calendar day is eBay's official time, US Pacific (the Trading API's
// "Time Values": the US site shows Pacific Time; that the revision count
// starts at Pacific midnight is unconfirmed).
//
// The document contradicts itself on bulkUpdatePriceQuantity: its
// description says "Only one SKU (one product) can be updated per call"
// (up to 25 offers of it), its BulkPriceQuantity.requests says "one or more
// inventory items (up to 25)", and eBay's bulk-updates guide
// (developer.ebay.com/api-docs/sell/static/inventory/bulk-updates.html)
// says "Up to 25 inventory item records (and the active offers associated
// with them) may be updated with one bulkUpdatePriceQuantity call". The
// adapter sends up to 25 SKUs a call; when eBay refuses such a call whole
// (HTTP 400) it sends its SKUs one a call, and once a single-SKU call has
// then gone through it keeps sending one SKU a call for as long as the
// adapter lives.
//
// Not a Creator: an eBay listing needs business policies, a category and a
// publish step, so a listing the channel lacks is a missing_listing
// exception.
package ebay

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
	_ "time/tzdata" // eBay's day is Pacific time, wherever accord runs

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// ConfigSpec is the schema of an ebay channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"client_id":             &hcldec.AttrSpec{Name: "client_id", Type: cty.String, Required: true},
	"client_secret":         &hcldec.AttrSpec{Name: "client_secret", Type: cty.String, Required: true},
	"refresh_token":         &hcldec.AttrSpec{Name: "refresh_token", Type: cty.String, Required: true},
	"marketplace_id":        &hcldec.AttrSpec{Name: "marketplace_id", Type: cty.String, Required: true},
	"content_language":      &hcldec.AttrSpec{Name: "content_language", Type: cty.String},
	"endpoint":              &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"token_endpoint":        &hcldec.AttrSpec{Name: "token_endpoint", Type: cty.String},
	"verification_token":    &hcldec.AttrSpec{Name: "verification_token", Type: cty.String},
	"webhook_endpoint":      &hcldec.AttrSpec{Name: "webhook_endpoint", Type: cty.String},
	"notification_endpoint": &hcldec.AttrSpec{Name: "notification_endpoint", Type: cty.String},
}

// Kind is the ebay channel kind.
var Kind = adapters.Kind{
	Name:    "ebay",
	Summary: "eBay Sell Inventory API",
	Config:  ConfigSpec,
	Secrets: secretAttrs,
	Open: func(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
		return Open(ctx, setup)
	},
	Profile: adapters.Profile{
		Marketplace: "eBay",
		PricingPolicy: "No fair-pricing rule of its own, but a listing may be revised at most 250 times a day, so prices must not flap; " +
			"MAP is shown through the offer's minimum advertised price.",
		Requires:   []string{"brand"},
		TitleLimit: 80,
	},
}

// The defaults of the config block.
const (
	DefaultEndpoint      = "https://api.ebay.com"
	DefaultTokenEndpoint = "https://api.ebay.com/identity/v1/oauth2/token" //nolint:gosec // G101: a public URL, not a credential
	// DefaultContentLanguage is the language of titles and descriptions.
	DefaultContentLanguage = "en-US"
)

// secretAttrs are the attributes that may only be given through env().
var secretAttrs = []string{"client_id", "client_secret", "refresh_token", "verification_token"}

// Config is an ebay channel's decoded config block.
type Config struct {
	ClientID, ClientSecret, RefreshToken string
	// MarketplaceID is the eBay site ("EBAY_US").
	MarketplaceID string
	// ContentLanguage is the Content-Language of every write ("en-US").
	ContentLanguage string
	// Endpoint is the REST base URL, TokenEndpoint the OAuth token URL,
	// NotificationEndpoint the Notification API's base URL.
	Endpoint, TokenEndpoint, NotificationEndpoint string
	// VerificationToken and WebhookEndpoint answer eBay's validation of
	// the notification endpoint; both or neither.
	VerificationToken, WebhookEndpoint string
}

// DecodeConfig decodes and checks an ebay config block. Every problem is
// reported at its attribute, together.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	b := apikit.Decode(setup, ConfigSpec, secretAttrs, "EBAY")
	cfg := Config{
		ClientID:             b.Required("client_id"),
		ClientSecret:         b.Required("client_secret"),
		RefreshToken:         b.Required("refresh_token"),
		MarketplaceID:        b.Required("marketplace_id"),
		ContentLanguage:      b.String("content_language"),
		Endpoint:             b.URL("endpoint", DefaultEndpoint),
		TokenEndpoint:        b.URL("token_endpoint", DefaultTokenEndpoint),
		NotificationEndpoint: b.URL("notification_endpoint", DefaultEndpoint),
		VerificationToken:    b.String("verification_token"),
		WebhookEndpoint:      b.URL("webhook_endpoint", ""),
	}
	if cfg.ContentLanguage == "" {
		cfg.ContentLanguage = DefaultContentLanguage
	}
	switch {
	case cfg.VerificationToken != "" && cfg.WebhookEndpoint == "":
		b.Bad("webhook_endpoint", "webhook_endpoint is the public URL eBay sends notifications to: it is needed with verification_token to answer eBay's validation of the endpoint.")
	case cfg.VerificationToken == "" && cfg.WebhookEndpoint != "":
		b.Bad("verification_token", "verification_token is the token given to eBay with the endpoint: it is needed with webhook_endpoint to answer eBay's validation of the endpoint.")
	}
	return cfg, b.Err()
}

// Limits of the API (see the package comment).
const (
	// maxPageSize is getInventoryItems' largest limit.
	maxPageSize = 200
	// maxBulk is the most requests of one bulkUpdatePriceQuantity or
	// bulkGetInventoryItem.
	maxBulk = 25
	// maxBatch is the most changes one Apply takes: a whole page of
	// listings, each with a few changes.
	maxBatch = 250
	// revisionsPerDay is eBay's limit of revisions of one listing.
	revisionsPerDay = 250
)

// Channel is an open ebay channel.
type Channel struct {
	cfg      Config
	name     string
	currency string
	scale    int32
	http     *http.Client
	log      logger
	ua       string
	budget   *adapters.Budget
	user     *tokenSource // the seller's token (refresh_token grant)
	orders   *tokenSource // the seller's token for reading orders
	app      *tokenSource // the application's token (client_credentials)
	now      func() time.Time
	day      *time.Location

	// singleSKU is set once eBay refused a multi-SKU
	// bulkUpdatePriceQuantity and a single-SKU one went through.
	singleSKU atomic.Bool

	hooks hookState
}

// logger is what the adapter logs with.
type logger interface {
	Debug(msg string, args ...any)
	Warn(msg string, args ...any)
}

// Interfaces the adapter keeps.
var (
	_ adapters.Channel         = (*Channel)(nil)
	_ adapters.RevisionLimited = (*Channel)(nil)
	_ adapters.HookReceiver    = (*Channel)(nil)
)

// Open opens an ebay channel. It makes no call: the first Observe or Apply
// exchanges the refresh token.
func Open(_ context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	day, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return nil, err
	}
	hc, now, ua := apikit.HTTPClient(setup), apikit.Clock(setup), apikit.UserAgent(setup)
	c := &Channel{
		cfg: cfg, name: setup.Name, currency: setup.Currency, scale: setup.Scale,
		http: hc, log: setup.Logger(), ua: ua, now: now, day: day,
		budget: setup.Budget("ebay:"+cfg.MarketplaceID+":"+cfg.ClientID, adapters.Unlimited, adapters.Unlimited),
	}
	// The order reads of notifications get a token of their own: a refresh
	// token granted without the Fulfillment scope then costs the order
	// events alone, never the listings.
	c.user = newTokenSource(cfg, hc, ua, grantRefresh, []string{scopeInventory})
	c.orders = newTokenSource(cfg, hc, ua, grantRefresh, []string{scopeFulfillment})
	c.app = newTokenSource(cfg, hc, ua, grantClient, []string{scopeApp})
	return c, nil
}

// Limits are the size of one getInventoryItems page and of one Apply.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: maxBatch, PageSize: maxPageSize}
}

// RevisionLimit is eBay's 250 revisions of a listing a calendar day, in
// US Pacific time.
func (c *Channel) RevisionLimit() (int, *time.Location) {
	return revisionsPerDay, c.day
}
