// Package tiktok is the channel adapter for TikTok Shop, through the
// TikTok Shop Partner (Open) API, version 202309. It owns the wire format
// of the few calls accord makes, the request signature, the access-token
// refresh, the pacing of the shop's calls and the verification of TikTok's
// webhooks; it does not own what accord wants listed (the spec) nor what
// happened before (the store).
//
// TikTok publishes no machine-readable definition of the API, and its
// partner documents carry no licence to copy, so the request bodies this
// adapter sends are described by JSON Schemas derived by hand, committed
// in tiktoktest/schemas (each names the document it was derived from), and
// the fake checks every request against them. The facts, each from its
// source:
//
//   - Signing (partner doc page 274638, as EcomPHP/tiktokshop-php
//     src/Client.php prepareSignature implements it, and
//     hsib19/tiktok-shop-sdk packages/sdk/src/utils/signature.ts, v1): the
//     query parameters but sign and access_token, sorted by key, written
//     {key}{value}; the request path before them; the raw body after them
//     for a request with one; app_secret before and after; sign is the
//     lowercase hex HMAC-SHA256 of that with app_secret as the key. The
//     test vector of EcomPHP tests/ClientTest.php (GET /test-api, foo=bar,
//     secret app_secret: d3cb7fe1…c80f) is reproduced in sign_test.go.
//   - Common parts (EcomPHP src/Client.php modifyRequestBeforeSend, HSIB
//     packages/sdk/src/client/Request.ts): host
//     https://open-api.tiktokglobalshop.com; query app_key, timestamp (Unix
//     seconds), sign and shop_cipher; header x-tts-access-token; content
//     type application/json. The answer is the envelope {code, message,
//     request_id, data}, code 0 for success (EcomPHP src/Resource.php call).
//   - Error codes (partner doc "common-errors", as third-party clients
//     quote it): 105001 invalid and 105002 expired access token (EcomPHP
//     src/Resource.php treats the whole 105xxx group as token errors),
//     106001 an invalid sign (HTTP 401), 36009002 the rate limit (HTTP 429),
//     36009003 an internal error worth a retry, 36009004 an invalid
//     parameter (timestamp older than 5 minutes, app_key, the
//     x-tts-access-token header...). The HTTP status of each is
//     unconfirmed; the adapter classifies by code first.
//   - Tokens (EcomPHP src/Auth.php, HSIB packages/sdk/src/modules/
//     AuthModule.ts): GET https://auth.tiktok-shops.com/api/v2/token/refresh
//     with app_key, app_secret, refresh_token and grant_type=refresh_token;
//     data {access_token, access_token_expire_in, refresh_token,
//     refresh_token_expire_in}. access_token_expire_in is a Unix time in
//     every recorded answer (not a duration); a value under 10^9 is read as
//     seconds from now all the same.
//   - Products (paths: EcomPHP src/Resources/Product.php, HSIB
//     ProductModule.ts; fields: lywzx/tiktok-partner-api
//     packages/tk-origin-api/src/products, typed from the partner docs):
//     POST /product/202309/products/search with page_size (at most 100)
//     and page_token in the query and {seller_skus} in the body, answered
//     with data {products[{id, title, status, skus[{id, seller_sku,
//     price{currency, tax_exclusive_price, sale_price}, inventory
//     [{warehouse_id, quantity}], list_price{amount, currency}}]}],
//     next_page_token, total_count}; GET /product/202309/products/{id}
//     for the description and each SKU's identifier_code {code, type GTIN,
//     EAN, UPC or ISBN}; POST …/products/{id}/prices/update with
//     {skus[{id, price{amount, currency}, list_price{amount, currency}}]}
//     (amounts are strings, the pre-tax price); POST
//     …/products/{id}/inventory/update with {skus[{id, inventory
//     [{warehouse_id, quantity}]}]}, quantity 0 to 99999, answered with
//     data.errors[{code, message, detail{sku_id}}] for the SKUs refused;
//     POST …/products/{id}/partial_edit with {title} or {description}.
//     list_price on search answers and price updates is in HSIB's typing
//     (ProductTypes.ts, a later API version) only: unconfirmed for 202309.
//   - Orders (EcomPHP src/Resources/Order.php getOrderDetail, lywzx
//     src/orders/GetOrderDetail.ts): GET /order/202309/orders?ids=a,b (at
//     most 50), answered with data.orders[{id, status, create_time,
//     line_items[{id, sku_id, product_id, seller_sku}]}]. A line item has
//     no quantity: there is one per unit.
//   - Webhooks (EcomPHP src/Webhook.php and tests/WebhookTest.php): the
//     Authorization header is the lowercase hex HMAC-SHA256 of app_key
//     followed by the raw body, keyed with app_secret; the body is {type,
//     shop_id, timestamp, data}, type 1 an order's status
//     (data {order_id, order_status, update_time}), 5 a product's status
//     and 15 a product's information (data {product_id}; the numbers of
//     SKIT.FlurlHttpClient.ByteDance.TikTokGlobalShop's event table).
//
// A listing is one SKU of a product, keyed by its seller_sku. Its quantity
// is the configured warehouse's; its price the pre-tax price (what a price
// update sets); its compare-at price the list price; its fields the
// product's title and description and the SKU's identifier code under the
// code's type in lower case ("gtin"). The adapter reference is the product
// ID, the SKU ID and a short hash of the seller SKU: a change carrying
// another listing's reference is refused.
//
// Rate limits are not published where accord could read them: the budget
// starts at defaultRate and learns from throttled answers.
package tiktok

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// ConfigSpec is the schema of a tiktok channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"app_key":       &hcldec.AttrSpec{Name: "app_key", Type: cty.String, Required: true},
	"app_secret":    &hcldec.AttrSpec{Name: "app_secret", Type: cty.String, Required: true},
	"refresh_token": &hcldec.AttrSpec{Name: "refresh_token", Type: cty.String, Required: true},
	"access_token":  &hcldec.AttrSpec{Name: "access_token", Type: cty.String},
	"shop_cipher":   &hcldec.AttrSpec{Name: "shop_cipher", Type: cty.String, Required: true},
	"warehouse_id":  &hcldec.AttrSpec{Name: "warehouse_id", Type: cty.String, Required: true},
	"endpoint":      &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"auth_endpoint": &hcldec.AttrSpec{Name: "auth_endpoint", Type: cty.String},
}

// secretAttrs are the attributes that may only be given through env().
var secretAttrs = []string{"app_key", "app_secret", "refresh_token", "access_token"}

// The default hosts (see the package comment).
const (
	DefaultEndpoint     = "https://open-api.tiktokglobalshop.com"
	DefaultAuthEndpoint = "https://auth.tiktok-shops.com"
)

// Kind is the tiktok channel kind.
var Kind = adapters.Kind{
	Name:    "tiktok",
	Summary: "TikTok Shop Open API",
	Config:  ConfigSpec,
	Secrets: secretAttrs,
	Open: func(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
		return Open(ctx, setup)
	},
	Profile: adapters.Profile{
		Marketplace: "TikTok Shop",
		PricingPolicy: "Promotions are checked against the product's recent price: a price raised just before a sale to show a larger " +
			"discount breaks TikTok Shop's pricing rules. Its flash sales are what make the other marketplaces' prices look high.",
	},
}

// Config is a tiktok channel's decoded config block. The credentials
// never leave this package: String does not show them.
type Config struct {
	// ShopCipher names the shop every call is for.
	ShopCipher string
	// WarehouseID is the warehouse whose inventory accord manages.
	WarehouseID string
	// Endpoint is the Open API base URL, AuthEndpoint the token host's.
	Endpoint     string
	AuthEndpoint string

	appKey, appSecret, refreshToken, accessToken string
}

// String shows the config without its credentials.
func (c Config) String() string {
	return fmt.Sprintf("shop_cipher=%s warehouse_id=%s endpoint=%s auth_endpoint=%s", c.ShopCipher, c.WarehouseID, c.Endpoint, c.AuthEndpoint)
}

// DecodeConfig decodes and checks a tiktok config block. Every problem is
// reported at its attribute, together.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	b := apikit.Decode(setup, ConfigSpec, secretAttrs, "TIKTOK")
	cfg := Config{
		appKey:       b.Required("app_key"),
		appSecret:    b.Required("app_secret"),
		refreshToken: b.Required("refresh_token"),
		accessToken:  b.String("access_token"),
		ShopCipher:   b.Required("shop_cipher"),
		WarehouseID:  b.Required("warehouse_id"),
		Endpoint:     b.URL("endpoint", DefaultEndpoint),
		AuthEndpoint: b.URL("auth_endpoint", DefaultAuthEndpoint),
	}
	if err := b.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Channel is an open tiktok channel.
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
	budget *adapters.Budget
	token  *tokenSource
	// wall is the clock of request timestamps and token lifetimes: real
	// time, whatever instant the controller plans for.
	wall  func() time.Time
	hooks apikit.Hooks
}

// Interfaces the adapter keeps.
var (
	_ adapters.Channel      = (*Channel)(nil)
	_ adapters.HookReceiver = (*Channel)(nil)
)

// defaultRate paces the shop's reads and writes each: TikTok publishes no
// limit accord can read (unconfirmed), and a throttled answer pauses and
// shrinks the bucket.
var defaultRate = adapters.Rate{Limit: 10, Burst: 10}

// Open opens a tiktok channel. It makes no call: the first Observe or Apply
// refreshes the access token (unless the config gives one).
func Open(_ context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	hc, ua := apikit.HTTPClient(setup), apikit.UserAgent(setup)
	c := &Channel{
		cfg: cfg, name: setup.Name, currency: setup.Currency, scale: setup.Scale,
		http: hc, log: setup.Logger(), ua: ua, wall: time.Now,
		budget: setup.Budget("tiktok:"+cfg.ShopCipher, defaultRate, defaultRate),
	}
	c.token = newTokenSource(cfg, hc, ua, func() time.Time { return c.wall() })
	return c, nil
}

// The documented sizes: a product search page holds at most 100 products
// (page_size, partner docs as lywzx/tiktok-partner-api types them), and
// Observe hands listings over 100 at a time. TikTok documents no batch:
// Apply sends one call per product and kind of change, so its batch is
// as large as a page.
const (
	maxPageSize  = 100
	maxBatchSize = 100
	// maxOrderIDs is the most IDs one order detail read takes.
	maxOrderIDs = 50
	// maxQuantity is the largest inventory quantity an update takes.
	maxQuantity = 99999
)

// Limits are the channel's documented sizes.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: maxBatchSize, PageSize: maxPageSize}
}
