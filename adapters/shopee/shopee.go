// Package shopee is the channel adapter for Shopee, through the Shopee
// Open Platform API v2 (shop APIs). It owns the wire format of the few
// calls accord makes, their signing, the rotation of Shopee's single-use
// refresh token and the pacing of the shop's calls; it does not own what
// accord wants listed (the spec) nor what happened before (the store).
//
// # Sources
//
// Shopee publishes no machine-readable API description and no licence for
// its documents, so the request bodies are checked against JSON Schemas
// derived by hand (shopeetest/schemas, each naming the page it follows).
// Every fact below comes from one of these:
//
//   - REF: Shopee's API reference pages as served by the documentation site
//     (its own JSON), captured in lazykern/ecommerce-api-docs
//     data/raw/shopee/apis/ @ eba059e3e9e6ef5605117593b3c79866ed7c814e:
//     product/v2.product.get_item_list.json (GET, offset, page_size 1..100,
//     item_status required and repeated as item_status=NORMAL&item_status=
//     UNLIST, answer item[]{item_id, item_status}, has_next_page,
//     next_offset), v2.product.get_item_base_info.json (GET, item_id_list
//     at most 50, answer item_list[]{item_id, item_name, item_sku,
//     item_status, has_model, promotion_id, price_info[]{currency,
//     original_price, current_price}, stock_info_v2{seller_stock[]
//     {location_id, stock}}, is_fulfillment_by_shopee}; price_info absent
//     for an item with models), v2.product.get_model_list.json (GET, one
//     item_id; model[]{model_id, model_sku, model_status, promotion_id,
//     price_info[], stock_info_v2}), v2.product.update_price.json (POST
//     {item_id, price_list[1..50]{model_id, original_price}}, answer
//     success_list/failure_list{model_id, failed_reason}; "model_id: 0 for
//     no model item"; two decimal places only for SG/MY/BR/MX/PL/ES/AR
//     sellers, whole numbers elsewhere; error_cannt_edit_price_in_promotion),
//     v2.product.update_stock.json (POST {item_id, stock_list[1..50]
//     {model_id, seller_stock[]{location_id, stock}}}, same answer lists;
//     only seller_stock is writable), v2.product.update_item.json (POST
//     {item_id, item_name...}: fields sent are updated, others kept),
//     discount/v2.discount.add_discount_item.json, update_discount_item.json
//     and delete_discount_item.json (a seller discount's items and their
//     item_promotion_price / model_promotion_price; answer error_list
//     {item_id, model_id, fail_error, fail_message}),
//     public/v2.public.refresh_access_token.json (POST
//     /api/v2/auth/access_token/get, public signing, body {refresh_token,
//     partner_id, shop_id}, answer {access_token, refresh_token, expire_in};
//     "refresh_token can be used once only"; error_auth "Invalid
//     refresh_token."). Every shop API lists error_auth "Invalid
//     access_token.", error_sign "Wrong sign." and error_param "Invalid
//     timestamp"; the error examples prefix codes with the module
//     ("product.error_param").
//   - DOC: Shopee's developer-guide pages copied into thiiz/shopee-js
//     .docs/ @ 899cd1d71cf9a3fc0e44cf0768e6762fbb7dc427: API-calls.md (hosts;
//     common parameters in the query; GET parameters in the query, POST
//     parameters as a JSON body; the response envelope {request_id, error,
//     message, warning, response}; the signature: lowercase hex
//     HMAC-SHA256 keyed with the partner key over partner_id + api path +
//     timestamp + access_token + shop_id for shop APIs, partner_id + api
//     path + timestamp for public APIs, with its worked base-string
//     example; timestamps valid for 5 minutes; access tokens for 4 hours),
//     Stock-&-Price-Management.md (current_price is the promotion price
//     while a promotion runs, else equal to original_price; a product in
//     certain promotions may not have its original price changed; one
//     item_id per update call, every model of it in one call),
//     Authorization-and-Authentication.md (refresh token valid 30 days,
//     single use).
//   - SJS: the same repository's SDK, src/auth/signature.ts (the base
//     strings) and src/http/endpoints.ts (the paths).
//
// Unconfirmed by any source: the HTTP status Shopee answers its errors
// with (auth errors are taken to be 403 and malformed requests 400, but the
// adapter reads the envelope's error whatever the status), and rate limits
// (REF gives "rate_limit: [0, 0, 0]" for every product API; no throttling
// code is documented for them). A 429, an error code naming a rate limit
// or a message saying "too many requests" (the wording REF gives other
// modules' throttling) is taken as throttling; the adapter paces itself to
// 10 calls a second for reads and for writes by default.
//
// # What accord manages
//
// A listing is a seller SKU: item_sku for an item without variants,
// model_sku for each model (variant) of an item with them; items and models
// without a SKU are not read. The reference of a listing is its item ID,
// with ":" and the model ID for a model ("1000" or "2000:3456"); a change
// whose reference names an item or model with another SKU is refused.
// quantity is the seller stock (Shopee's own warehouse stock is Shopee's:
// a listing fulfilled by Shopee, or whose seller stock is split across
// warehouses, has an unmanaged quantity; stock kept at one warehouse
// location is written back to that location). title is item_name, shared
// by every model of an item (update_item). gtin is gtin_code ("00", "item
// without GTIN", is none); it is written for items without models only
// (update_item), a model's being update_model's, which the adapter does
// not call. No other listing field is written. Prices are in the shop's
// currency, at the channel's minor-unit places (setup.Scale: none for IDR
// or VND), sent as JSON numbers written from decimals.
//
// price is what buyers pay (current_price) and compare_at the crossed-out
// price (original_price) while a promotion lowers it; without one, price
// is original_price and there is no compare_at. accord writes original
// prices with update_price. A compare_at is a price in a Shopee discount
// promotion the seller created for accord (discount_id in the config):
// accord sets original_price to the compare_at and puts the model in that
// discount at the price, moves its promotion price, or takes it out. A
// listing in any other promotion (a campaign, a flash sale) has its price
// locked by Shopee until the promotion ends: price and compare_at changes
// to it are refused, naming the promotion. Shopee campaigns also check
// prices against recent ones (see the Profile).
//
// Apply reads the items it changes first (get_item_base_info, and
// get_model_list for items with models): that checks each reference and
// gives the promotion state the price writes depend on. Observe with a SKU
// filter reads the whole shop (Shopee has no exact SKU lookup) and keeps
// the SKUs asked for.
//
// # Tokens
//
// Shopee's access token lasts 4 hours and its refresh token is single-use:
// each refresh (POST /api/v2/auth/access_token/get, when a call answers that
// the access token is invalid or expired, once per call) hands out a new
// pair and retires the old one. With token_file set, the adapter keeps the
// current pair in that file (mode 0600, relative to the spec directory) and
// prefers it over the environment at the next start, so a restart goes on
// with the rotated tokens. Processes on the same spec share the file: a
// refresh holds an advisory lock on token_file + ".lock" (apikit.LockFile,
// gofrs/flock), reads the file again first and takes a newer pair found
// there instead of refreshing, as it does when Shopee refuses a refresh
// token another process spent. Without token_file the new pair lives in
// memory only, and the adapter warns that a restart will need fresh tokens
// from Shopee's authorization flow.
package shopee

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// ConfigSpec is the schema of a shopee channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"partner_id":    &hcldec.AttrSpec{Name: "partner_id", Type: cty.Number, Required: true},
	"shop_id":       &hcldec.AttrSpec{Name: "shop_id", Type: cty.Number, Required: true},
	"partner_key":   &hcldec.AttrSpec{Name: "partner_key", Type: cty.String, Required: true},
	"access_token":  &hcldec.AttrSpec{Name: "access_token", Type: cty.String, Required: true},
	"refresh_token": &hcldec.AttrSpec{Name: "refresh_token", Type: cty.String, Required: true},
	"endpoint":      &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"token_file":    &hcldec.AttrSpec{Name: "token_file", Type: cty.String},
	"discount_id":   &hcldec.AttrSpec{Name: "discount_id", Type: cty.Number},
}

// Kind is the shopee channel kind.
var Kind = adapters.Kind{
	Name:    "shopee",
	Summary: "Shopee Open Platform",
	Config:  ConfigSpec,
	Secrets: secretAttrs,
	Open: func(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
		return Open(ctx, setup)
	},
	Profile: adapters.Profile{
		Marketplace: "Shopee",
		PricingPolicy: "Campaign prices are checked against recent selling prices on Shopee: raising a price before a campaign to " +
			"inflate its discount breaks Shopee's listing rules, and campaign slots may ask for a price no higher than elsewhere.",
	},
}

// DefaultEndpoint is Shopee's production host for partners near Singapore
// (DOC API-calls.md; the others are openplatform.shopee.com.br,
// openplatform.shopee.cn and the sandbox hosts).
const DefaultEndpoint = "https://partner.shopeemobile.com"

// secretAttrs are the attributes that may only be given through env().
var secretAttrs = []string{"partner_key", "access_token", "refresh_token"}

// maxID is the largest ID accepted for partner_id, shop_id and discount_id.
const maxID = 1<<53 - 1

// Config is a shopee channel's decoded config block.
type Config struct {
	PartnerID int64
	ShopID    int64
	// PartnerKey signs every call; AccessToken and RefreshToken are the
	// shop's tokens as the environment gives them (a token file, when
	// present, is preferred).
	PartnerKey   string
	AccessToken  string
	RefreshToken string
	// Endpoint is the API host, without a trailing slash.
	Endpoint string
	// TokenFile is where rotated tokens are kept: an absolute path, or ""
	// for none.
	TokenFile string
	// DiscountID is the seller discount promotion accord puts listings in
	// to show a compare-at price; 0 for none.
	DiscountID int64
}

// DecodeConfig decodes and checks a shopee config block. Every problem is
// reported at its attribute, together.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	b := apikit.Decode(setup, ConfigSpec, secretAttrs, "SHOPEE")
	cfg := Config{
		PartnerID:    int64(b.Int("partner_id", 0, 1, maxID, "the partner ID of the app on Shopee Open Platform")),
		ShopID:       int64(b.Int("shop_id", 0, 1, maxID, "the ID of the shop that authorised the app")),
		DiscountID:   int64(b.Int("discount_id", 0, 1, maxID, "the ID of a seller discount promotion of the shop")),
		PartnerKey:   b.Required("partner_key"),
		AccessToken:  b.Required("access_token"),
		RefreshToken: b.Required("refresh_token"),
		Endpoint:     b.URL("endpoint", DefaultEndpoint),
	}
	if f := b.String("token_file"); f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(setup.SpecDir, f)
		}
		cfg.TokenFile = f
	}
	if err := b.Err(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Default pacing (unconfirmed, see the package comment): calls a second
// and burst, for reads and for writes.
var (
	defaultRead  = adapters.Rate{Limit: rate.Limit(10), Burst: 10}
	defaultWrite = adapters.Rate{Limit: rate.Limit(10), Burst: 10}
)

// Sizes from REF: get_item_list page_size at most 100, get_item_base_info
// item_id_list at most 50, update_stock/update_price lists at most 50.
const (
	pageSize  = 100
	infoBatch = 50
	maxModels = 50
	batchSize = 50
)

// Channel is an open shopee channel.
type Channel struct {
	cfg      Config
	name     string
	currency string
	scale    int32
	http     *http.Client
	log      logger
	ua       string
	budget   *adapters.Budget
	tokens   *tokenSource
	// wall is the clock of signatures and token expiry: Shopee's seconds,
	// whatever instant the controller plans for.
	wall func() time.Time
	// pause is how long a throttled answer without Retry-After pauses
	// the account's bucket.
	pause time.Duration
}

// logger is what the adapter logs with.
type logger interface {
	Debug(msg string, args ...any)
	Warn(msg string, args ...any)
}

// Interfaces the adapter keeps.
var _ adapters.Channel = (*Channel)(nil)

// Open opens a shopee channel. It makes no call; it reads the token file
// when one is configured and present.
func Open(_ context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	hc, ua := apikit.HTTPClient(setup), apikit.UserAgent(setup)
	log := setup.Logger()
	c := &Channel{
		cfg: cfg, name: setup.Name, currency: setup.Currency, scale: setup.Scale,
		http: hc, log: log, ua: ua, wall: time.Now, pause: defaultPause,
		budget: setup.Budget("shopee:"+strconv.FormatInt(cfg.ShopID, 10), defaultRead, defaultWrite),
	}
	c.tokens, err = newTokenSource(c, cfg, log)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Limits are the size of get_item_list pages and the changes of one
// apply (one update call per item, at most 50 models each).
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: batchSize, PageSize: pageSize}
}
