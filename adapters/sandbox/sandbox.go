// Package sandbox is accord's embedded default channel: a simulated
// marketplace that keeps its listings (quantity, price, compare-at price,
// fields, status) and a warehouse in a SQLite file, sandbox.db, under the
// channel's config.dir (default ".accord/sandbox" beside the spec). Every
// sandbox channel of a spec with the same dir shares that file.
//
// It behaves like a real channel where accord's apply must be careful:
//   - quantity writes are compare-and-set (adapters.QuantityCAS), as
//     Shopify's inventorySetQuantities with compareQuantity: a write whose
//     expected quantity no longer holds (an order landed) fails with a
//     conflict instead of overwriting the sale;
//   - it creates a listing that is missing from the listing's fields
//     (adapters.Creator), as Shopify's productSet does, and gives every
//     listing its own reference (adapters.Ref) the way a channel gives an
//     ID: a write carrying the reference of another listing is refused;
//   - with async = true it answers like a bulk feed (adapters.Confirmer):
//     a batch is submitted and its outcome asked for later, no sooner than
//     feed_delay after it was submitted;
//   - it reports orders and listings edited outside accord as they happen
//     (adapters.Watcher), as a channel's webhooks would: Watch looks in the
//     sandbox file every watch_interval for what other processes did;
//   - an order is a customer's (see Order): refused when the listing shows
//     fewer units, and oversold when the warehouse holds fewer;
//   - it validates: a negative quantity, a price that is not positive, a
//     currency other than the channel's or a title over 255 characters is
//     rejected;
//   - it can be made to fail (see Faults): HTTP 429 with Retry-After, 5xx,
//     timeouts (half of which land anyway), batches in which some items
//     fail, items rejected for good, and an optional server-side rate limit
//     and latency from the config block. Two test hooks let scenarios kill
//     the applying process mid-apply and land an order between observe and
//     apply.
//
// Config (all optional):
//
//	config {
//	  dir            = ".accord/sandbox"    # relative to the spec directory
//	  batch_size     = 1000                 # changes per apply request
//	  page_size      = 10000                # listings per page of a read
//	  rate_limit     = 0                    # apply requests per second the sandbox accepts; 0: no limit
//	  latency        = "0s"                 # added to every request
//	  async          = false                # answer apply requests as submitted feeds
//	  feed_delay     = "0s"                 # how long a feed takes to process
//	  watch_interval = "250ms"              # how often Watch looks for orders and edits
//	}
//
// The sandbox paces its own writes to rate_limit through the account's
// budget (adapters.Budget), as a real adapter paces to what its channel
// documents, and pauses the budget on a throttled answer.
//
// `accord sandbox` (show, set, sell, restock, faults) edits the sandbox from
// outside accord, as a person in a seller portal, a customer or a delivery
// would.
package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
)

// DefaultDir is where the sandbox lives, relative to the spec directory.
const DefaultDir = ".accord/sandbox"

// maxTitle is the longest title the sandbox accepts, as Shopify's 255.
const maxTitle = 255

// ConfigSpec is the schema of a sandbox channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"dir":            &hcldec.AttrSpec{Name: "dir", Type: cty.String},
	"batch_size":     &hcldec.AttrSpec{Name: "batch_size", Type: cty.Number},
	"page_size":      &hcldec.AttrSpec{Name: "page_size", Type: cty.Number},
	"rate_limit":     &hcldec.AttrSpec{Name: "rate_limit", Type: cty.Number},
	"latency":        &hcldec.AttrSpec{Name: "latency", Type: cty.String},
	"async":          &hcldec.AttrSpec{Name: "async", Type: cty.Bool},
	"feed_delay":     &hcldec.AttrSpec{Name: "feed_delay", Type: cty.String},
	"watch_interval": &hcldec.AttrSpec{Name: "watch_interval", Type: cty.String},
}

// Kind is the sandbox channel kind.
var Kind = adapters.Kind{
	Name:    "sandbox",
	Summary: "simulated marketplace kept in a local file",
	Config:  ConfigSpec,
	Open:    Open,
	Profile: adapters.Profile{
		Marketplace: "Sandbox",
		PricingPolicy: "A simulated marketplace kept in a local file, with no pricing policy: it stands in for a real one " +
			"in examples and tests.",
		ComparesQuantities: true,
	},
}

// Config is a sandbox channel's decoded config block.
type Config struct {
	Dir       string
	BatchSize int
	PageSize  int
	RateLimit rate.Limit
	Latency   time.Duration
	Async     bool
	FeedDelay time.Duration
	// WatchInterval is how often Watch looks for new events.
	WatchInterval time.Duration
}

// DecodeConfig decodes a sandbox config block; body may be nil.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	cfg := Config{Dir: filepath.Join(setup.SpecDir, filepath.FromSlash(DefaultDir)), BatchSize: 1000, PageSize: 10000, RateLimit: rate.Inf, WatchInterval: DefaultWatchInterval}
	if setup.Config == nil {
		return cfg, nil
	}
	v, diags := hcldec.Decode(setup.Config, ConfigSpec, setup.Eval)
	if diags.HasErrors() {
		return cfg, &adapters.ConfigError{Channel: setup.Name, Diags: diags}
	}
	rng := setup.Config.MissingItemRange()
	bad := func(attr, detail string) error {
		if a, ok := attrRange(setup.Config, attr); ok {
			rng = a
		}
		return &adapters.ConfigError{Channel: setup.Name, Diags: hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid " + attr, Detail: detail, Subject: &rng,
		}}}
	}
	if d := v.GetAttr("dir"); !d.IsNull() {
		dir := filepath.FromSlash(d.AsString())
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(setup.SpecDir, dir)
		}
		cfg.Dir = dir
	}
	if n := v.GetAttr("batch_size"); !n.IsNull() {
		i, acc := n.AsBigFloat().Int64()
		if acc != big.Exact || i < 1 || i > 100000 {
			return cfg, bad("batch_size", "batch_size is a whole number of changes per request, from 1 to 100000.")
		}
		cfg.BatchSize = int(i)
	}
	if n := v.GetAttr("page_size"); !n.IsNull() {
		i, acc := n.AsBigFloat().Int64()
		if acc != big.Exact || i < 1 || i > 100000 {
			return cfg, bad("page_size", "page_size is a whole number of listings per page, from 1 to 100000.")
		}
		cfg.PageSize = int(i)
	}
	if n := v.GetAttr("rate_limit"); !n.IsNull() {
		f, _ := n.AsBigFloat().Float64()
		if f < 0 {
			return cfg, bad("rate_limit", "rate_limit is apply requests per second, or 0 for no limit.")
		}
		if f > 0 {
			cfg.RateLimit = rate.Limit(f)
		}
	}
	duration := func(attr string, into *time.Duration) error {
		s := v.GetAttr(attr)
		if s.IsNull() {
			return nil
		}
		d, err := time.ParseDuration(s.AsString())
		if err != nil || d < 0 {
			return bad(attr, fmt.Sprintf("%q is not a duration such as \"20ms\".", s.AsString()))
		}
		*into = d
		return nil
	}
	if err := duration("latency", &cfg.Latency); err != nil {
		return cfg, err
	}
	if err := duration("feed_delay", &cfg.FeedDelay); err != nil {
		return cfg, err
	}
	if err := duration("watch_interval", &cfg.WatchInterval); err != nil {
		return cfg, err
	}
	if cfg.WatchInterval <= 0 {
		return cfg, bad("watch_interval", "watch_interval is how often the sandbox looks for orders and edits: a duration above 0 such as \"250ms\".")
	}
	if b := v.GetAttr("async"); !b.IsNull() {
		cfg.Async = b.True()
	}
	return cfg, nil
}

func attrRange(body hcl.Body, name string) (hcl.Range, bool) {
	attrs, _ := body.JustAttributes()
	if a, ok := attrs[name]; ok {
		return a.Expr.Range(), true
	}
	return hcl.Range{}, false
}

// Channel is one sandbox channel.
type Channel struct {
	name     string
	currency string
	scale    int32
	cfg      Config
	db       *sql.DB
	now      func() time.Time
	// limiter is the sandbox's side of the rate limit: a request over it
	// is refused with 429, as a real channel would. budget is accord's
	// side: the pacing that keeps requests under it.
	limiter *rate.Limiter
	budget  *adapters.Budget

	mu      sync.Mutex
	rnd     *rand.Rand
	seed    uint64
	batches int
}

var (
	_ adapters.Channel     = (*Channel)(nil)
	_ adapters.Creator     = (*Channel)(nil)
	_ adapters.QuantityCAS = (*Channel)(nil)
	_ adapters.Confirmer   = (*Channel)(nil)
	_ adapters.Watcher     = (*Channel)(nil)
	_ adapters.Closer      = (*Channel)(nil)
)

// Open opens the sandbox channel of a spec's channel block.
func Open(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
	c, err := OpenChannel(ctx, setup)
	if err != nil {
		return nil, err // not a nil *Channel in a non-nil interface
	}
	return c, nil
}

// OpenChannel is Open returning the concrete type, for `accord sandbox`.
func OpenChannel(ctx context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, cfg.Dir)
	if err != nil {
		return nil, err
	}
	now := setup.Now
	if now == nil {
		now = time.Now
	}
	c := &Channel{name: setup.Name, currency: setup.Currency, scale: setup.Scale, cfg: cfg, db: db, now: now}
	write := adapters.Unlimited
	if cfg.RateLimit != rate.Inf {
		c.limiter = rate.NewLimiter(cfg.RateLimit, 1)
		write = adapters.Rate{Limit: cfg.RateLimit, Burst: 1}
	}
	// One account per channel of one sandbox file, as a marketplace
	// account is per seller.
	c.budget = setup.Budget("sandbox:"+cfg.Dir+":"+setup.Name, adapters.Unlimited, write)
	return c, nil
}

// Close closes the sandbox file.
func (c *Channel) Close() error { return c.db.Close() }

// Dir is the sandbox's directory.
func (c *Channel) Dir() string { return c.cfg.Dir }

// Limits are the sandbox's configured batch and page sizes.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{BatchSize: c.cfg.BatchSize, PageSize: c.cfg.PageSize}
}

// CreatesListings marks the sandbox an adapters.Creator: it creates a
// listing it lacks.
func (c *Channel) CreatesListings() {}

// ComparesQuantities marks the sandbox an adapters.QuantityCAS: its
// quantity writes are compare-and-set.
func (c *Channel) ComparesQuantities() {}
