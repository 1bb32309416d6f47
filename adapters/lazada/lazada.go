// Package lazada is the channel adapter for Lazada, through the Lazada Open
// Platform (LAZOP) REST API. It owns the wire format of the few calls accord
// makes (/products/get, /product/price_quantity/update, /product/update and
// /auth/token/refresh), their signing, the rotation of the seller's tokens
// and the pacing of each call; it does not own what accord wants listed (the
// spec) nor what happened before (the store).
//
// Lazada publishes no machine-readable definition. Every path, parameter,
// field and limit below comes from one of these, and the fake in lazadatest
// checks every request against JSON Schemas derived from them by hand:
//
//   - SIG: Lazada's "Signature algorithm" and "HTTP request sample" guides
//     (open.lazada.com docId 108068 and 108069; read as mirrored in
//     lazykern/ecommerce-api-docs @ eba059e3, data/processed/lazada/guides/
//     developers-guide/call-api-with-http-requests/): sort every parameter
//     but sign by name, concatenate name and value, put the API path in
//     front, HMAC-SHA256 under the app secret, upper-case hex. The sample's
//     signature (secret "helloworld", /order/get) is the test vector of
//     TestSignDocumentedVector. "Calling parameters" (docId 108067): the
//     system parameters app_key, access_token, timestamp (milliseconds; at
//     most 7200 s from UTC), sign_method, sign. Lazada's Python SDK
//     (lazop-sdk-python, lazop/base.py, as vendored in
//     DerrickSee/lazop-sdk-python @ 48302d8) and laijingwu/lazop-sdk (PHP,
//     MIT, @ 22f68bb: AbstractLazopRequest.php) agree, and send a POST's
//     parameters form-encoded in the body, a GET's in the query.
//   - Gateways: "API endpoint URLs" (same guides; LJW LazopEndpoint.php
//     agrees): api.lazada.sg, api.lazada.com.my, api.lazada.vn,
//     api.lazada.co.th, api.lazada.com.ph, api.lazada.co.id, each /rest; the
//     token service https://auth.lazada.com/rest for every country ("Seller
//     authorization introduction", docId 108260).
//   - GetProducts (GET /products/get), Lazada's API reference page
//     (open.lazada.com/apps/doc/api?path=%2Fproducts%2Fget, last updated
//     2022-07-28, read as scraped): filter (all, live, inactive, deleted,
//     pending, rejected, sold-out), offset ("Deprecated ... It is
//     recommended to use date for scrolling query. The maximum offset is
//     10000"), limit (at most 50), sku_seller_list (a JSON array, at most
//     100), create_after and create_before (the products "created after or
//     on" / "before or on" a date "given in ISO 8601 date format", sampled
//     as "2018-01-01T00:00:00+0800"; update_after and update_before
//     alike); data.total_products ("The number of total Items"),
//     data.products[] {item_id, created_time and updated_time (strings of
//     milliseconds, "1611554725000"), attributes {name...}, skus[]
//     {SellerSku, SkuId, Status, quantity, price, special_price,
//     special_from_time, special_to_time, special_from_date,
//     special_to_date}}; numbers come as JSON numbers or strings
//     ("total_products": "10", "price": 32) and are decoded exactly. The
//     same page as stored in lazykern/ecommerce-api-docs @ eba059e3,
//     data/raw/lazada/apis/product-api/getproducts.json (docId 1301,
//     lastModified 2022-07-28), gives these words.
//   - UpdatePriceQuantity (POST /product/price_quantity/update), its
//     reference page (same source) and the "Inventory management API"
//     guide: one payload parameter of XML
//     <Request><Product><Skus><Sku>{ItemId, SkuId, SellerSku, Price,
//     SalePrice, SaleStartDate, SaleEndDate, Quantity}</Sku>...; at most 50
//     SKUs a call, 20 recommended (E204, 4171; 513 "reduce ... to 20 or
//     less"); 50 calls a second per seller; 501 "Update product failed" is
//     an overview whose detail[] {field, seller_sku, message} names the SKUs
//     refused (the common response parameters of the reference pages). LJW
//     UpdatePriceQuantityPayload.php: SellerSku required, SaleStartDate and
//     SaleEndDate written "Y-m-d H:i".
//   - UpdateProduct (POST /product/update): the "Update a product" guide
//     (payload <Request><Product><ItemId/><Attributes><name/>...
//     </Attributes><Skus><Sku><SkuId/>...</Sku></Skus></Product></Request>,
//     SkuId mandatory, Attributes present) and LJW UpdateProductPayload.php.
//   - Tokens: "Seller authorization introduction": POST
//     /auth/token/refresh {refresh_token} answers access_token,
//     refresh_token, expires_in, refresh_expires_in (seconds), account,
//     country...; "You will get new access_token and refresh_token. You must
//     save the latest refresh_token"; the refresh token's own lifetime is
//     not reset; refresh 30 minutes before expiry. LJW
//     RefreshAccessTokenResponse.php reads these at the top level.
//   - The envelope {code, type, message, request_id, data}: code "0" is
//     success (LAZOP LazopClient.execute; LJW AbstractLazopResponse); the
//     "Create/update product Q&A" guide: ApiCallLimit ("this ban will last
//     1 seconds"), 998 (a service disabled for a campaign), ServiceTimeout;
//     the reference pages: 901/E901 (QPS limit, retry next second).
//
// Unconfirmed, and chosen as said: the error codes IllegalAccessToken (an
// expired or revoked access token: refreshed once), IncompleteSignature
// (a wrong app secret) and IllegalRefreshToken are the names third-party clients of the same
// gateway match, not found in Lazada's pages; how to remove a special price
// (the adapter ends its window now, by a window that starts and ends this
// minute); the time zone of SaleStartDate and SaleEndDate (the venture's:
// UTC+8 for sg, my, ph, UTC+7 for th, vn, id); the end of an open-ended
// compare-at (five years ahead); the rates of GetProducts and UpdateProduct
// (none set: a throttle pauses them); whether the detail[] of a refused
// batch sits at the top level of the answer (the common response
// parameters say so, and the adapter reads it there).
//
// A full read past the offset cap, as the reference page recommends
// ("use date for scrolling query"): GetProducts unfiltered first; when
// total_products says more than 10,000 items (or paging reaches offset
// 10,000), the read starts again in windows of create_after and
// create_before: everything created before 2000-01-01T00:00:00Z, a grid
// of 2^31 seconds from then (to January 2068) halved until each window's
// total_products is at most 10,000, everything after. Both ends of a
// window are included and two halves share their edge second, so an item
// created in that second is read whether Lazada compares whole seconds or
// milliseconds; an item read twice is handed over once (by item_id), in
// the order of its first reading: windows oldest first, and within one
// Lazada's order. The grid does not move with the clock, so two reads of
// one catalog ask the same windows. A window of one second that still
// holds more than 10,000 items cannot be split: the read fails saying so.
// Unconfirmed: the order GetProducts answers in (its page names none:
// the adapter depends on none); whether create_after and create_before
// compare to the second or the millisecond (both are handled), and that
// they take the zone offset written (the adapter writes the venture's, in
// the sample's form "+0800"); that total_products counts the filtered
// query, not the seller's whole catalog (the adapter reads it so: were it
// the catalog's, every window would look full and the read would fail
// rather than skip an item).
//
// Not a Watcher: Lazada's push ("Lazada Push Mechanism" guide) signs a
// delivery with Authorization = hex(HMAC-SHA256(app_key + body, app
// secret)), but its order messages carry trade_order_id and
// trade_order_line_id, not the SKU and units an event needs; turning them
// into events would take an order-items call per message, not built yet.
//
// How accord's prices map to Lazada's: Lazada shows price unless a
// special_price below it is inside its window. A listing observed inside
// the window has the special price as accord's price and Lazada's price as
// its compare-at; outside it, Lazada's price and no compare-at. Writing a
// compare-at above the price sets price to the compare-at and SalePrice to
// the price from now on; writing no compare-at sets price and ends a
// special price below it (one at or above it cannot show, and is ended by
// the write that raises the price past it). A promotion's sale (Change.Sale) goes as SalePrice over
// the sale's window (rounded inwards to whole minutes), with the regular
// price as Price, so that Lazada switches it on and off on time.
//
// Apply reads the batch's SKUs first (one GetProducts by sku_seller_list):
// which of Lazada's two prices is accord's depends on the window, a write
// needs the ItemId and SkuId, and a change that carries another listing's
// reference is refused rather than written. A listing field is the item's
// attribute of its name (title is name): a title is the item's, shared by
// its SKUs. Quantities are the Quantity of the single-warehouse form;
// multi-warehouse sellers are not supported.
//
// The adapter reference of a listing is "item_id:SkuId".
package lazada

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// ConfigSpec is the schema of a lazada channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"app_key":       &hcldec.AttrSpec{Name: "app_key", Type: cty.String, Required: true},
	"app_secret":    &hcldec.AttrSpec{Name: "app_secret", Type: cty.String, Required: true},
	"access_token":  &hcldec.AttrSpec{Name: "access_token", Type: cty.String},
	"refresh_token": &hcldec.AttrSpec{Name: "refresh_token", Type: cty.String},
	"region":        &hcldec.AttrSpec{Name: "region", Type: cty.String, Required: true},
	"endpoint":      &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"auth_endpoint": &hcldec.AttrSpec{Name: "auth_endpoint", Type: cty.String},
	"token_file":    &hcldec.AttrSpec{Name: "token_file", Type: cty.String},
	"batch_size":    &hcldec.AttrSpec{Name: "batch_size", Type: cty.Number},
}

// secretAttrs are the attributes that may only be given through env().
var secretAttrs = []string{"app_secret", "access_token", "refresh_token"}

// Kind is the lazada channel kind.
var Kind = adapters.Kind{
	Name:    "lazada",
	Summary: "Lazada Open Platform",
	Config:  ConfigSpec,
	Secrets: secretAttrs,
	Open: func(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
		c, err := Open(ctx, setup)
		if err != nil {
			return nil, err
		}
		return c, nil
	},
	Profile: adapters.Profile{
		Marketplace: "Lazada",
		PricingPolicy: "Campaign prices are checked against the lowest recent price on Lazada: raising a price before a campaign " +
			"to inflate its discount breaks Lazada's rules, and campaigns may ask for a price no higher than on other platforms.",
	},
}

// venture is one Lazada country: its gateway, currency and the time zone
// of its sale windows.
type venture struct {
	gateway  string
	currency string
	zone     *time.Location
}

// ventures are the countries by region code (see the package comment).
var ventures = map[string]venture{
	"sg": {"https://api.lazada.sg/rest", "SGD", time.FixedZone("UTC+8", 8*3600)},
	"my": {"https://api.lazada.com.my/rest", "MYR", time.FixedZone("UTC+8", 8*3600)},
	"ph": {"https://api.lazada.com.ph/rest", "PHP", time.FixedZone("UTC+8", 8*3600)},
	"th": {"https://api.lazada.co.th/rest", "THB", time.FixedZone("UTC+7", 7*3600)},
	"vn": {"https://api.lazada.vn/rest", "VND", time.FixedZone("UTC+7", 7*3600)},
	"id": {"https://api.lazada.co.id/rest", "IDR", time.FixedZone("UTC+7", 7*3600)},
}

var regions = []string{"sg", "my", "ph", "th", "vn", "id"}

// DefaultAuthEndpoint is Lazada's token service, one for every country.
const DefaultAuthEndpoint = "https://auth.lazada.com/rest"

// The sizes of one call (see the package comment).
const (
	// maxBatch is the most SKUs one UpdatePriceQuantity carries.
	maxBatch = 50
	// defaultBatch is the size Lazada recommends.
	defaultBatch = 20
	// pageLimit is the most items one GetProducts answers.
	pageLimit = 50
	// maxOffset is the furthest GetProducts pages by offset.
	maxOffset = 10000
	// maxSKUFilter is the most SKUs one sku_seller_list names.
	maxSKUFilter = 100
)

// Config is a lazada channel's decoded config block.
type Config struct {
	AppKey, AppSecret         string
	AccessToken, RefreshToken string
	Region                    string
	// Endpoint is the API gateway, AuthEndpoint the token service.
	Endpoint, AuthEndpoint string
	// TokenFile, when set, keeps the tokens Lazada rotates (absolute, or
	// relative to the spec directory as written).
	TokenFile string
	// BatchSize is how many changes one Apply carries.
	BatchSize int
}

// DecodeConfig decodes and checks a lazada config block; every problem is
// reported at its attribute, together.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	b := apikit.Decode(setup, ConfigSpec, secretAttrs, "LAZADA")
	cfg := Config{
		AppKey:       b.Required("app_key"),
		AppSecret:    b.Required("app_secret"),
		AccessToken:  b.String("access_token"),
		RefreshToken: b.String("refresh_token"),
		Region:       b.OneOf("region", "", regions),
		AuthEndpoint: b.URL("auth_endpoint", DefaultAuthEndpoint),
		TokenFile:    b.String("token_file"),
		BatchSize:    b.Int("batch_size", defaultBatch, 1, maxBatch, "Lazada takes at most 50 SKUs in one price and quantity update and recommends 20"),
	}
	v, ok := ventures[cfg.Region]
	cfg.Endpoint = b.URL("endpoint", v.gateway)
	if b.Err() == nil {
		if cfg.AccessToken == "" && cfg.RefreshToken == "" {
			b.Bad("refresh_token", "Give refresh_token (or at least access_token): Lazada's API answers only a seller's token.")
		}
		if ok && setup.Currency != "" && setup.Currency != v.currency {
			b.Bad("region", fmt.Sprintf("Lazada %s sells in %s, but the channel's currency is %s.", cfg.Region, v.currency, setup.Currency))
		}
	}
	if cfg.TokenFile != "" && !filepath.IsAbs(cfg.TokenFile) {
		cfg.TokenFile = filepath.Join(setup.SpecDir, cfg.TokenFile)
	}
	if err := b.Err(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Channel is an open lazada channel.
type Channel struct {
	cfg      Config
	name     string
	currency string
	scale    int32
	zone     *time.Location
	http     *http.Client
	log      interface {
		Info(msg string, args ...any)
		Warn(msg string, args ...any)
	}
	ua     string
	budget *adapters.Budget
	tokens *tokenSource
	// now is the instant listings are observed at (setup.Now); clock is
	// real time, for the signature's timestamp and token lifetimes.
	now   func() time.Time
	clock func() time.Time
}

// Interfaces the adapter keeps.
var _ adapters.Channel = (*Channel)(nil)

// Open opens a lazada channel. It makes no call: the first Observe or
// Apply refreshes the access token when it needs one.
func Open(_ context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	hc, now, ua := apikit.HTTPClient(setup), apikit.Clock(setup), apikit.UserAgent(setup)
	scale := setup.Scale
	currency := setup.Currency
	if currency == "" {
		currency = ventures[cfg.Region].currency
	}
	// The account is the app and the seller it was authorized by; the
	// seller is known by the token it was given, hashed.
	seed := cfg.RefreshToken
	if seed == "" {
		seed = cfg.AccessToken
	}
	sum := sha256.Sum256([]byte(seed))
	c := &Channel{
		cfg: cfg, name: setup.Name, currency: currency, scale: scale, zone: ventures[cfg.Region].zone,
		http: hc, log: setup.Logger(), ua: ua, now: now, clock: time.Now,
		budget: setup.Budget("lazada:"+cfg.Region+":"+cfg.AppKey+":"+hex.EncodeToString(sum[:6]), adapters.Unlimited, adapters.Unlimited),
	}
	c.tokens = newTokenSource(c)
	if err := c.tokens.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// Limits are the configured batch (at most 50 SKUs an update) and pages
// of at most 50 listings (GetProducts' largest limit).
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: c.cfg.BatchSize, PageSize: pageLimit}
}
