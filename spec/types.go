package spec

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/spec/money"
)

// Spec is a loaded, resolved spec directory.
type Spec struct {
	// Dir is the spec directory as the user named it; file names in ranges
	// are relative to the working directory through it.
	Dir string
	// Sources holds every file read (HCL and CSV) by display name, so that
	// diagnostics can show snippets.
	Sources map[string][]byte
	// Files maps each name of Sources to the file's path relative to the
	// spec directory, with forward slashes: what the spec's revision is
	// computed from.
	Files map[string]string

	Settings Settings
	// Variables are the resolved values of every variable block.
	Variables map[string]Variable

	// Channels is sorted by name.
	Channels []*Channel
	// Products is the catalog, sorted by SKU.
	Products []*Product

	StockSources []*StockSource
	Pools        []*Pool
	Matrices     []*PriceMatrix
	Promotions   []*Promotion
	// Campaigns are the partner campaigns the spec imports, in name order.
	Campaigns []*Campaign
	Parities  []*Parity
	// Listing is nil when the spec has no listing block.
	Listing *Listing
	Drift   Drift
	Guard   Guard
	// Notify holds the notify blocks, in the order written (files by
	// name).
	Notify []*Notify

	// Eval carries var, local and the functions for per-product
	// expressions; callers add `product` and `channel` in a child context.
	Eval *hcl.EvalContext
	// ProductAttributes lists the attribute keys found in the catalog, sorted.
	ProductAttributes []string

	channelIdx map[string]int
	productIdx map[string]int
	sourceIdx  map[string]*StockSource
}

// Channel returns the channel of the given name.
func (s *Spec) Channel(name string) (*Channel, int, bool) {
	i, ok := s.channelIdx[name]
	if !ok {
		return nil, -1, false
	}
	return s.Channels[i], i, true
}

// Product returns the catalog product of the given SKU and its index in
// Products.
func (s *Spec) Product(sku string) (*Product, int, bool) {
	i, ok := s.productIdx[sku]
	if !ok {
		return nil, -1, false
	}
	return s.Products[i], i, true
}

// StockSource returns the stock source of the given name.
func (s *Spec) StockSource(name string) (*StockSource, bool) {
	src, ok := s.sourceIdx[name]
	return src, ok
}

// Settings is the settings block.
type Settings struct {
	Currency      string
	CurrencyScale int32
	Timezone      *time.Location
	Range         hcl.Range
	CurrencyRange hcl.Range
}

// Variable is a declared variable and where its value came from.
type Variable struct {
	Name   string
	Source string // "default", "--var" or the environment variable's name
	Range  hcl.Range
}

// Channel is a channel block.
type Channel struct {
	Name     string
	Type     string
	Currency string
	// Scale is the currency's minor-unit places.
	Scale int32
	// FXRate is channel-currency units per catalog unit (1 when the
	// currencies match and no rate is given).
	FXRate decimal.Decimal
	// SKUColumn is the catalog column holding this channel's own SKU, or "".
	SKUColumn string
	// Config is the adapter's body, decoded later against the adapter's own
	// schema; secrets in it are only ever env() calls.
	Config hcl.Body
	// Drift is the effective drift policy: the channel's block over the
	// top-level one.
	Drift Drift
	// OrdersPerDay is the channel's typical orders a day, for the report's
	// oversell estimate; unset when the spec does not say.
	OrdersPerDay decimal.NullDecimal

	Range       hcl.Range
	TypeRange   hcl.Range
	FXRateRange hcl.Range
	OrdersRange hcl.Range
}

// ChannelSKU returns the SKU the channel knows the product by, and false
// when the product is not listed on the channel (an empty sku_column cell).
func (c *Channel) ChannelSKU(p *Product) (string, bool) {
	if c.SKUColumn == "" {
		return p.SKU, true
	}
	v := p.Column(c.SKUColumn)
	return v, v != ""
}

// Product is one catalog product, from a CSV row or a product block.
type Product struct {
	SKU         string
	Price       decimal.Decimal
	Cost        decimal.NullDecimal
	MAP         decimal.NullDecimal
	MSRP        decimal.NullDecimal
	Title       string
	Brand       string
	Category    string
	Description string
	GTIN        string
	Parent      string
	// Attributes holds every other column (or the attributes map of a
	// product block).
	Attributes map[string]string

	// Range is the CSV row or the product block.
	Range hcl.Range
}

// Column returns a known column or an attribute by name.
func (p *Product) Column(name string) string {
	switch name {
	case "sku":
		return p.SKU
	case "title":
		return p.Title
	case "brand":
		return p.Brand
	case "category":
		return p.Category
	case "description":
		return p.Description
	case "gtin":
		return p.GTIN
	case "parent":
		return p.Parent
	}
	return p.Attributes[name]
}

// StockSource is a stock_source block: where on-hand quantities come from.
type StockSource struct {
	Name string
	Type string // "file" or "sandbox"
	// File is the CSV path as written, relative to the spec directory: the
	// stock of a "file" source, the opening stock of a "sandbox" one.
	File string
	// Dir is a sandbox source's sandbox directory as written ("" for the
	// default).
	Dir       string
	Range     hcl.Range
	FileRange hcl.Range
}

// SKUSet is a resolved list of SKUs: nil means every catalog SKU.
type SKUSet struct {
	// Has is indexed like Spec.Products.
	Has   []bool
	Count int
	Range hcl.Range
}

// Contains reports whether the product at index i is in the set; a nil set
// holds every product.
func (s *SKUSet) Contains(i int) bool { return s == nil || s.Has[i] }

// Buffer withholds part of a pool's available stock from one channel: a
// fraction ("10%") or whole units (3).
type Buffer struct {
	Percent bool
	// Fraction is set for a percentage buffer.
	Fraction decimal.Decimal
	// Units is set for a unit buffer.
	Units int64
	Range hcl.Range
}

// PoolChannel is a pool's per-channel block.
type PoolChannel struct {
	Buffer       Buffer
	Reserve      int64
	Max          int64
	HasMax       bool
	Range        hcl.Range
	ReserveRange hcl.Range
	MaxRange     hcl.Range
}

// LowStock is a pool's low_stock throttle.
type LowStock struct {
	Threshold int64
	Channels  []string
	Range     hcl.Range
}

// Pool is a pool block: channels that share one stock.
type Pool struct {
	Name        string
	Source      string
	Channels    []string
	SKUs        *SKUSet
	SafetyStock int64
	// PerChannel holds the pool's channel blocks by channel name; channels
	// without one have the zero PoolChannel.
	PerChannel map[string]PoolChannel
	LowStock   *LowStock

	Range            hcl.Range
	ChannelsRange    hcl.Range
	SafetyStockRange hcl.Range
}

// MatrixChannel is a price matrix's per-channel block.
type MatrixChannel struct {
	Adjust         money.Adjustment
	AdjustRange    hcl.Range
	MaxDeviation   decimal.NullDecimal
	DeviationRange hcl.Range
	Rounding       *money.Rounding
	RoundingRange  hcl.Range
	Range          hcl.Range
}

// Override is a matrix's fixed regular price for one (channel, SKU).
type Override struct {
	SKU     string
	Channel string
	Price   decimal.Decimal
	Range   hcl.Range
}

// PriceMatrix is a price_matrix block.
type PriceMatrix struct {
	Name string
	SKUs *SKUSet
	// RoundingText is the matrix-wide rule as written; Rounding holds it
	// parsed per channel currency, by channel name.
	RoundingText   string
	Rounding       map[string]money.Rounding
	RoundingRange  hcl.Range
	MAPFloor       bool
	MAPFloorRange  hcl.Range
	MinMargin      decimal.NullDecimal
	MinMarginRange hcl.Range
	Anchor         string
	AnchorRange    hcl.Range
	PerChannel     map[string]MatrixChannel
	// Overrides by channel, then SKU.
	Overrides map[string]map[string]Override
	Range     hcl.Range
}

// Promotion is a promotion block.
type Promotion struct {
	Name     string
	Starts   time.Time
	Ends     time.Time
	Channels []string // nil: every channel
	// Covers is indexed like Spec.Products: the SKUs the promotion's skus
	// and where select.
	Covers     []bool
	CoverCount int
	Discount   money.Discount
	Priority   int64
	Partner    string
	// Campaign is the partner campaign the promotion opts in to, or nil.
	Campaign    *Campaign
	MinDiscount decimal.NullDecimal
	MaxDiscount decimal.NullDecimal

	Range            hcl.Range
	WindowRange      hcl.Range
	DiscountRange    hcl.Range
	PriorityRange    hcl.Range
	MinDiscountRange hcl.Range
	MaxDiscountRange hcl.Range
}

// Active reports whether the promotion runs at t (starts <= t < ends).
func (p *Promotion) Active(t time.Time) bool {
	return !t.Before(p.Starts) && t.Before(p.Ends)
}

// OnChannel reports whether the promotion covers the channel.
func (p *Promotion) OnChannel(name string) bool {
	if p.Channels == nil {
		return true
	}
	for _, c := range p.Channels {
		if c == name {
			return true
		}
	}
	return false
}

// ParityAction is what a parity rule does to a price above its limit.
type ParityAction string

// The parity actions.
const (
	ParityMatch ParityAction = "match"
	ParityBlock ParityAction = "block"
	ParityWarn  ParityAction = "warn"
)

// Parity is a parity block.
type Parity struct {
	Name        string
	Channel     string
	Against     []string
	MaxGap      decimal.Decimal
	OnViolation ParityAction
	Range       hcl.Range
	MaxGapRange hcl.Range
}

// FieldRule is a listing field's expression at the top level or in a
// channel block.
type FieldRule struct {
	Name string
	Expr hcl.Expression
	// UsesChannel reports that the expression refers to `channel`, so its
	// value may differ between channels.
	UsesChannel bool
	// UsesProduct reports that the expression refers to `product`.
	UsesProduct bool
}

// ListingChannel is a listing's per-channel block.
type ListingChannel struct {
	Fields    []FieldRule
	MaxLength map[string]LengthLimit
	Truncate  *bool
	Range     hcl.Range
}

// LengthLimit is a max_length entry and where it was written.
type LengthLimit struct {
	Chars int
	Range hcl.Range
}

// Listing is the listing block.
type Listing struct {
	// Fields is sorted by name.
	Fields        []FieldRule
	MaxLength     map[string]LengthLimit
	Truncate      bool
	Shared        []string
	SharedRange   hcl.Range
	PushOrder     []string
	PerChannel    map[string]*ListingChannel
	Range         hcl.Range
	TruncateRange hcl.Range
}

// DriftAction is what accord does when a channel holds a value it did not
// apply.
type DriftAction string

// The drift actions.
const (
	DriftCorrect DriftAction = "correct"
	DriftReport  DriftAction = "report"
	DriftIgnore  DriftAction = "ignore"
)

// Drift is a drift policy per field kind.
type Drift struct {
	Quantity DriftAction
	Price    DriftAction
	Fields   DriftAction
}

// Guard is the guard block: limits an apply refuses to pass without --force.
type Guard struct {
	MaxChanges   int64
	MaxPriceDrop decimal.NullDecimal
	Range        hcl.Range
}

// NotifyFormat is the body a notify block posts.
type NotifyFormat string

// The notify formats.
const (
	// NotifyJSON posts the event as a JSON object.
	NotifyJSON NotifyFormat = "json"
	// NotifySlack posts a Slack incoming-webhook message.
	NotifySlack NotifyFormat = "slack"
)

// Notify is a notify block: a webhook that hears about the events a
// person acts on. Its address is often its credential (a Slack webhook's
// path is), so the spec keeps the expression, not its value: ResolveURL
// evaluates it when the notifier starts, and nothing the spec prints
// holds it.
type Notify struct {
	Name string
	// URL is the url expression as written; see ResolveURL.
	URL hcl.Expression
	// Events are the event kinds the block subscribes to, as written;
	// every one of NotifyEvents by default.
	Events []string
	// MinSeverity is the least severity sent: "info", "warning" (the
	// default) or "error".
	MinSeverity string
	Format      NotifyFormat

	Range       hcl.Range
	URLRange    hcl.Range
	EventsRange hcl.Range
}
