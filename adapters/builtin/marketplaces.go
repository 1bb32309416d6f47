package builtin

import "github.com/accordhq/accord/adapters"

// The marketplace kinds whose adapters are not in this build yet: the spec
// language accepts them, validate checks everything but their config, and
// the report says what each marketplace expects. Each moves to its own
// package under adapters/ with its adapter, Profile and all.
var (
	ebay = adapters.Kind{Name: "ebay", Summary: "eBay Sell Inventory API", Profile: adapters.Profile{
		Marketplace: "eBay",
		PricingPolicy: "No fair-pricing rule of its own, but a listing may be revised at most 250 times a day, so prices must not flap; " +
			"MAP is shown through the offer's minimum advertised price.",
		Requires:   []string{"brand"},
		TitleLimit: 80,
	}}
	walmart = adapters.Kind{Name: "walmart", Summary: "Walmart Marketplace API", Profile: adapters.Profile{
		Marketplace: "Walmart",
		PricingPolicy: "Pricing rules: Walmart unpublishes an offer priced far above recent prices on or off Walmart " +
			"(\"Reasonable Price Not Satisfied\") until its price comes down.",
		Requires: []string{"gtin", "brand"},
	}}
	tiktok = adapters.Kind{Name: "tiktok", Summary: "TikTok Shop Open API", Profile: adapters.Profile{
		Marketplace: "TikTok Shop",
		PricingPolicy: "Promotions are checked against the product's recent price: a price raised just before a sale to show a larger " +
			"discount breaks TikTok Shop's pricing rules. Its flash sales are what make the other marketplaces' prices look high.",
	}}
	shopee = adapters.Kind{Name: "shopee", Summary: "Shopee Open Platform", Profile: adapters.Profile{
		Marketplace: "Shopee",
		PricingPolicy: "Campaign prices are checked against recent selling prices on Shopee: raising a price before a campaign to " +
			"inflate its discount breaks Shopee's listing rules, and campaign slots may ask for a price no higher than elsewhere.",
	}}
	lazada = adapters.Kind{Name: "lazada", Summary: "Lazada Open Platform", Profile: adapters.Profile{
		Marketplace: "Lazada",
		PricingPolicy: "Campaign prices are checked against the lowest recent price on Lazada: raising a price before a campaign " +
			"to inflate its discount breaks Lazada's rules, and campaigns may ask for a price no higher than on other platforms.",
	}}
)
