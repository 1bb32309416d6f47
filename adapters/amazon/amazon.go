// Package amazon is the channel adapter for Amazon, through the Selling
// Partner API (SP-API). It owns the wire format of the few calls accord
// makes, the Login with Amazon token exchange and the pacing of each
// operation; it does not own what accord wants listed (the spec) nor what
// happened before (the store).
//
// Every path, parameter and body shape comes from Amazon's published
// models, copied unmodified into amazontest/models (from
// amzn/selling-partner-api-models, Apache-2.0, see the LICENSE and NOTICE
// there), and the tests check each request against them:
//
//   - listingsItems_2021-08-01.json: searchListingsItems
//     (GET /listings/2021-08-01/items/{sellerId}, marketplaceIds,
//     includedData, identifiers and identifiersType=SKU at most 20,
//     pageSize at most 20, pageToken; ItemSearchResults with
//     pagination.nextToken), getListingsItem (GET
//     /listings/2021-08-01/items/{sellerId}/{sku}, 404 for a SKU the seller
//     lacks), patchListingsItem (PATCH the same path with a
//     ListingsItemPatchRequest {productType, patches[]}, answered by a
//     ListingsItemSubmissionResponse {status ACCEPTED|INVALID|VALID,
//     issues[]}); ErrorList on every failure; the x-amzn-RateLimit-Limit
//     header; the "Usage Plan" tables of each operation's description for
//     the default rates (getListingsItem 5/s burst 10, searchListingsItems
//     5/5, patchListingsItem 5/5). The list_price attribute shape
//     ({currency, value, marketplace_id}) is the model's getListingsItem
//     example.
//   - feeds_2021-06-30.json: createFeedDocument (POST
//     /feeds/2021-06-30/documents {contentType} -> 201 {feedDocumentId,
//     url}), the upload to url (PUT, same content type), createFeed (POST
//     /feeds/2021-06-30/feeds {feedType, marketplaceIds,
//     inputFeedDocumentId} -> 202 {feedId}), getFeed (GET
//     /feeds/2021-06-30/feeds/{feedId} -> Feed {processingStatus
//     CANCELLED|DONE|FATAL|IN_PROGRESS|IN_QUEUE, resultFeedDocumentId}),
//     getFeedDocument (GET /feeds/2021-06-30/documents/{feedDocumentId} ->
//     {url, compressionAlgorithm GZIP}); rates createFeedDocument 0.5/15,
//     createFeed 0.0083/15, getFeed 2/15, getFeedDocument 0.0222/10.
//   - listings-feed-schema-v2.json and
//     listings-feed-processing-report-schema-v2.json: the JSON_LISTINGS_FEED
//     document (header {sellerId, version "2.0", issueLocale}, messages
//     {messageId, sku, operationType PATCH, productType, patches}) and its
//     processing report (issues {messageId, severity, message}).
//
// What the models leave out, each from its source:
//
//   - hosts sellingpartnerapi-{na,eu,fe}.amazon.com: the models' host, and
//     SPM clients/sellingpartner-api-aa-python/spapi/spapiclient.py;
//   - the x-amz-access-token header and the token exchange (POST
//     https://api.amazon.com/auth/o2/token, form fields grant_type=
//     refresh_token, refresh_token, client_id, client_secret; answer
//     access_token, expires_in; errors {error, error_description}): SPM
//     clients/sellingpartner-api-aa-java LWAAuthorizationSigner.java,
//     LWAClient.java, clients/sellingpartner-api-aa-python/auth/LwaRequest.py;
//   - the purchasable_offer attribute ({marketplace_id, currency,
//     our_price[{schedule[{value_with_tax}]}]}),
//     fulfillment_availability ({fulfillment_channel_code DEFAULT,
//     quantity}) and item_name ({value, language_tag, marketplace_id}):
//     https://developer-docs.amazon.com/sp-api/docs/manage-purchasable-offer
//     and the models' feed example (listings-feed-schema-v2.example.json).
//
// A listing field other than title (item_name) and description
// (product_description) is sent as the attribute of its name with
// [{value, marketplace_id}]; the product type's own attribute schema is
// served at run time by the Product Type Definitions API, which this
// adapter does not read yet.
//
// Quantity of a listing Amazon fulfils (FBA: no DEFAULT fulfillment
// channel) is Amazon's: it is observed as unmanaged. A listing with an
// issue of severity ERROR is observed with the status "suppressed".
//
// The adapter reference of a listing is its product type and SKU
// ("LUGGAGE:MY-SKU", "LUGGAGE/AFN:MY-SKU" for a listing Amazon fulfils): a
// patch needs the product type, a change that carries another listing's
// reference is refused, and so is a quantity for an FBA listing (a DEFAULT
// fulfillment_availability would make it merchant-fulfilled).
package amazon

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

// ConfigSpec is the schema of an amazon channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"region":         &hcldec.AttrSpec{Name: "region", Type: cty.String, Required: true},
	"marketplace_id": &hcldec.AttrSpec{Name: "marketplace_id", Type: cty.String, Required: true},
	"seller_id":      &hcldec.AttrSpec{Name: "seller_id", Type: cty.String, Required: true},
	"client_id":      &hcldec.AttrSpec{Name: "client_id", Type: cty.String, Required: true},
	"client_secret":  &hcldec.AttrSpec{Name: "client_secret", Type: cty.String, Required: true},
	"refresh_token":  &hcldec.AttrSpec{Name: "refresh_token", Type: cty.String, Required: true},
	"endpoint":       &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"token_endpoint": &hcldec.AttrSpec{Name: "token_endpoint", Type: cty.String},
	"feed_threshold": &hcldec.AttrSpec{Name: "feed_threshold", Type: cty.Number},
	"language_tag":   &hcldec.AttrSpec{Name: "language_tag", Type: cty.String},
}

// Kind is the amazon channel kind.
var Kind = adapters.Kind{
	Name:    "amazon",
	Summary: "Amazon Selling Partner API, Listings Items",
	Config:  ConfigSpec,
	Secrets: secretAttrs,
	Open: func(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
		return Open(ctx, setup)
	},
	Profile: adapters.Profile{
		Marketplace: "Amazon",
		PricingPolicy: "Fair Pricing Policy: Amazon may take away the Buy Box (the featured offer), or the offer itself, when its price " +
			"is significantly higher than recent prices on or off Amazon, the merchant's own store included.",
		Requires:   []string{"gtin", "brand"},
		TitleLimit: 200,
	},
}

// The hosts of each region (see the package comment).
var regionHosts = map[string]string{
	"na": "https://sellingpartnerapi-na.amazon.com",
	"eu": "https://sellingpartnerapi-eu.amazon.com",
	"fe": "https://sellingpartnerapi-fe.amazon.com",
}

// DefaultTokenEndpoint is Login with Amazon's token endpoint.
const DefaultTokenEndpoint = "https://api.amazon.com/auth/o2/token" //nolint:gosec // G101: a public URL, not a credential

// DefaultFeedThreshold is how many changes an apply may carry before it
// goes as one JSON_LISTINGS_FEED instead of one patch per listing.
const DefaultFeedThreshold = 200

// secretAttrs are the attributes that may only be given through env().
var secretAttrs = []string{"client_id", "client_secret", "refresh_token"}

// Config is an amazon channel's decoded config block.
type Config struct {
	Region        string
	MarketplaceID string
	SellerID      string
	ClientID      string
	ClientSecret  string
	RefreshToken  string
	// Endpoint is the SP-API base URL, TokenEndpoint Login with Amazon's.
	Endpoint      string
	TokenEndpoint string
	// FeedThreshold: an apply of more changes goes by feed.
	FeedThreshold int
	// LanguageTag is the language of titles and descriptions ("en_US").
	LanguageTag string
}

// DecodeConfig decodes and checks an amazon config block. Every problem is
// reported at its attribute, together.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	cfg := Config{TokenEndpoint: DefaultTokenEndpoint, FeedThreshold: DefaultFeedThreshold, LanguageTag: "en_US"}
	b := apikit.Decode(setup, ConfigSpec, secretAttrs, "AMAZON")
	if err := b.Err(); err != nil {
		return cfg, err
	}
	cfg.Region = b.String("region")
	cfg.Endpoint = regionHosts[cfg.Region]
	if cfg.Endpoint == "" {
		b.Bad("region", fmt.Sprintf("%q is not an SP-API region: use \"na\", \"eu\" or \"fe\".", cfg.Region))
	}
	cfg.MarketplaceID = b.Required("marketplace_id")
	cfg.SellerID = b.Required("seller_id")
	cfg.ClientID = b.Required("client_id")
	cfg.ClientSecret = b.Required("client_secret")
	cfg.RefreshToken = b.Required("refresh_token")
	cfg.Endpoint = b.URL("endpoint", cfg.Endpoint)
	cfg.TokenEndpoint = b.URL("token_endpoint", cfg.TokenEndpoint)
	cfg.FeedThreshold = b.IntIn("feed_threshold", cfg.FeedThreshold, 0, maxFeedMessages,
		fmt.Sprintf("feed_threshold is a whole number of changes from 0 to %d: an apply of more goes as one feed.", maxFeedMessages))
	if s := b.String("language_tag"); s != "" {
		cfg.LanguageTag = s
	}
	return cfg, b.Err()
}

// maxFeedMessages is the most messages one JSON_LISTINGS_FEED document
// holds (listings-feed-schema-v2.json, messages maxItems); one message carries every change of a SKU, so it is also the most changes one Apply may carry.
const maxFeedMessages = 25000

// Channel is an open amazon channel.
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
	now    func() time.Time
}

// Interfaces the adapter keeps.
var (
	_ adapters.Channel   = (*Channel)(nil)
	_ adapters.Confirmer = (*Channel)(nil)
)

// Open opens an amazon channel. It makes no call: the first Observe or
// Apply exchanges the refresh token.
func Open(_ context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	hc, now, ua := apikit.HTTPClient(setup), apikit.Clock(setup), apikit.UserAgent(setup)
	c := &Channel{
		cfg: cfg, name: setup.Name, currency: setup.Currency, scale: setup.Scale,
		http: hc, log: setup.Logger(), ua: ua, now: now,
		budget: setup.Budget("amazon:"+cfg.Region+":"+cfg.SellerID, adapters.Unlimited, adapters.Unlimited),
	}
	c.token = newTokenSource(cfg, hc, ua)
	return c, nil
}

// Limits are the sizes of searchListingsItems pages (pageSize maximum 20)
// and of one feed document.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: maxFeedMessages, PageSize: maxPageSize}
}

const maxPageSize = 20
