package shopify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// Limits of one call.
const (
	// pageSize is the variants read per page: at a few points per variant
	// (the variant, its inventory item and level, its product), a page
	// stays well under the 1,000-point cap of a single query.
	pageSize = 100
	// batchSize is the changes one Apply carries: each becomes at most
	// one mutation (10 points) in one request.
	batchSize = 50
)

// The shop's cost bucket before it has answered once: the Standard plan's
// restore rate (100 points a second) and the bucket of 1,000 points of the
// older help page; both are learned from the first answer.
var startRate = adapters.Rate{Limit: 100, Burst: 1000}

// Kind is the shopify channel kind.
var Kind = adapters.Kind{
	Name:    "shopify",
	Summary: "Shopify GraphQL Admin API",
	Config:  ConfigSpec,
	Secrets: []string{"access_token", "webhook_secret"},
	Open:    Open,
	Profile: adapters.Profile{
		Marketplace: "Shopify",
		PricingPolicy: "The merchant's own store: no marketplace polices its prices. It is often the price the marketplaces " +
			"compare against, so a sale here can make them look expensive, and manufacturers' MAP agreements apply to the prices it advertises.",
		ComparesQuantities: true,
	},
}

// Channel is one Shopify store.
type Channel struct {
	name     string
	currency string
	scale    int32
	cfg      Config
	c        *client
	log      *slog.Logger

	// bulkOver is the size above which a full read goes by bulk
	// operation, and pollEvery how often the operation is asked after.
	bulkOver  int
	pollEvery time.Duration

	mu       sync.Mutex
	location string // the location's global ID, once known

	// hooks is the Watch feed of verified webhooks; items maps the
	// inventory items observed to their SKUs, lastSet the quantities
	// accord set (to leave out their echoes), seen the delivery IDs
	// taken. Guarded by mu, but for hooks.
	hooks     apikit.Hooks
	items     map[string]string
	lastSet   map[string]int64
	seen      map[string]bool
	seenOrder []string
}

var (
	_ adapters.Channel      = (*Channel)(nil)
	_ adapters.QuantityCAS  = (*Channel)(nil)
	_ adapters.Creator      = (*Channel)(nil)
	_ adapters.HookReceiver = (*Channel)(nil)
)

// Open opens a shopify channel.
func Open(_ context.Context, setup adapters.Setup) (adapters.Channel, error) {
	return OpenChannel(setup)
}

// OpenChannel opens a shopify channel and returns it as its concrete type.
func OpenChannel(setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	hc := setup.HTTPClient
	if hc == nil {
		return nil, fmt.Errorf("channel %s: no HTTP client in the setup", setup.Name)
	}
	account := "shopify:" + cfg.Shop + ".myshopify.com"
	b := setup.Budget(account, startRate, startRate)
	return &Channel{
		name:      setup.Name,
		currency:  setup.Currency,
		scale:     setup.Scale,
		cfg:       cfg,
		location:  cfg.Location,
		bulkOver:  bulkOver,
		pollEvery: time.Second,
		log:       setup.Logger(),
		c: &client{
			url:       cfg.Endpoint + "/admin/api/" + cfg.APIVersion + "/graphql.json",
			token:     cfg.token,
			http:      hc,
			userAgent: setup.UserAgent,
			budget:    b,
			version:   cfg.APIVersion,
			log:       setup.Logger(),
		},
	}, nil
}

// Limits are the sizes of one call.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: batchSize, PageSize: pageSize}
}

// ComparesQuantities says quantity writes are inventorySetQuantities with the
// observed quantity as the compared one.
func (c *Channel) ComparesQuantities() {}

// CreatesListings says a missing listing is created with productSet.
func (c *Channel) CreatesListings() {}

const locationsQuery = `query Locations {
  locations(first: 50) {
    nodes { id name isActive }
  }
}`

// locationID returns the location quantities live at: the config's, or
// the shop's only active location.
func (c *Channel) locationID(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.location != "" {
		return c.location, nil
	}
	var out struct {
		Locations struct {
			Nodes []struct {
				ID       string `json:"id"`
				Name     string `json:"name"`
				IsActive bool   `json:"isActive"`
			} `json:"nodes"`
		} `json:"locations"`
	}
	if err := c.c.do(ctx, false, "Locations", 60, locationsQuery, nil, &out); err != nil {
		return "", fmt.Errorf("finding the shop's location: %w", err)
	}
	var active []string
	id := ""
	for _, l := range out.Locations.Nodes {
		if l.IsActive {
			active = append(active, fmt.Sprintf("%s (%s)", l.Name, strings.TrimPrefix(l.ID, gidLocation)))
			id = l.ID
		}
	}
	switch len(active) {
	case 0:
		return "", c.configErr("No active location", "The shop has no active location to keep quantities at.")
	case 1:
		c.location = id
		return id, nil
	}
	return "", c.configErr("Several active locations", fmt.Sprintf("The shop has %d active locations, %s: name the one accord keeps quantities at, as location = \"<ID>\".", len(active), strings.Join(active, ", ")))
}

// configErr is a problem with the channel's config found by asking the shop.
func (c *Channel) configErr(summary, detail string) error {
	return &adapters.ConfigError{Channel: c.name, Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}}
}
