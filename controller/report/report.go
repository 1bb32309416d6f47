// Package report builds accord's sync playbook: the page an operations
// lead or a brand manager reads instead of the spec. It says which
// channels share stock and with what buffers, what each channel may charge
// and why, which listing fields must match, and what is most likely to go
// wrong in the coming window, with the alert that watches each risk.
//
// A report is built offline, from what accord already knows: the spec, the
// stock, the derivation now and at every promotion boundary in the window,
// and, when there is one, the state store's open exceptions and audit log.
// It calls no channel. Build makes the Report, whose JSON holds everything;
// WriteMarkdown and WriteHTML render it for people (the HTML is one
// self-contained page with pictures drawn as SVG on the server). The
// renderers live here, not in cmd/, because accord run serves the same page.
package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Kinds is what the report needs of the registry of channel kinds.
type Kinds interface {
	Lookup(name string) (adapters.Kind, bool)
}

// Input is what a report is built from.
type Input struct {
	Spec  *spec.Spec
	Kinds Kinds
	// Stock is on-hand stock by source and SKU.
	Stock derive.Stock
	// At is the report's instant; Window how far ahead it looks for
	// promotions and the risks they bring.
	At     time.Time
	Window time.Duration
	// Interval is how often channels are brought back in line (accord run's
	// resync, or how often apply runs): the time a sale has to race
	// another before accord sees it.
	Interval time.Duration
	// Revision is the spec's revision, for the page's header.
	Revision string
	// Exceptions are the store's unresolved exceptions; nil without a
	// store.
	Exceptions []store.Exception
	// Orders are order rates estimated from the store's audit log
	// (EstimateOrders), by channel; they stand in for channels whose
	// orders_per_day the spec leaves unset.
	Orders map[string]OrderEstimate
}

// Report is the playbook at one instant.
type Report struct {
	At        time.Time `json:"at"`
	Until     time.Time `json:"until"`
	Interval  string    `json:"sync_interval"`
	Revision  string    `json:"revision"`
	Currency  string    `json:"currency"`
	Timezone  string    `json:"timezone"`
	Inventory Inventory `json:"inventory"`
	Pricing   Pricing   `json:"pricing"`
	Content   Content   `json:"listing"`
	Risks     []Risk    `json:"risks"`
	// loc is the spec's time zone, for rendering.
	loc *time.Location
}

// Build makes the report. It derives the spec at in.At with stock and
// fields, and prices again at every promotion boundary in the window.
func Build(ctx context.Context, in Input) (*Report, error) {
	s := in.Spec
	if in.Window <= 0 {
		return nil, fmt.Errorf("report: the window must be positive, not %s", in.Window)
	}
	if in.Interval <= 0 {
		return nil, fmt.Errorf("report: the sync interval must be positive, not %s", in.Interval)
	}
	r := &Report{At: in.At, Until: in.At.Add(in.Window), Interval: in.Interval.String(), Revision: in.Revision,
		Currency: s.Settings.Currency, Timezone: s.Settings.Timezone.String(), loc: s.Settings.Timezone}
	e := derive.New(s)
	now, err := e.DeriveContext(ctx, derive.Options{At: in.At, Stock: in.Stock})
	if err != nil {
		return nil, fmt.Errorf("derive at %s: %w", in.At.Format(time.RFC3339), err)
	}
	tl, err := buildTimeline(ctx, e, s, now, r.Until)
	if err != nil {
		return nil, err
	}
	grid := newGrid(s, now)
	r.Inventory = buildInventory(s, in, grid)
	r.Pricing, err = buildPricing(ctx, e, s, in.Kinds, tl)
	if err != nil {
		return nil, err
	}
	r.Content = buildContent(s, in.Kinds, now)
	r.Risks = buildRisks(s, in, grid, &r.Inventory, tl, now)
	return r, nil
}

// Location is the spec's time zone, in which the page shows times.
func (r *Report) Location() *time.Location {
	if r.loc == nil {
		return time.UTC
	}
	return r.loc
}

// grid holds the derived quantities and prices at the report's instant,
// indexed [channel][product], for the sums the sections make.
type grid struct {
	qty    [][]int64 // -1: not managed or not listed
	price  [][]decimal.NullDecimal
	listed [][]bool
}

func newGrid(s *spec.Spec, res *derive.Result) *grid {
	nc, np := len(s.Channels), len(s.Products)
	g := &grid{qty: make([][]int64, nc), price: make([][]decimal.NullDecimal, nc), listed: make([][]bool, nc)}
	for c := range nc {
		g.qty[c] = make([]int64, np)
		for i := range g.qty[c] {
			g.qty[c][i] = -1
		}
		g.price[c] = make([]decimal.NullDecimal, np)
		g.listed[c] = make([]bool, np)
	}
	// Listings come sorted by channel, then SKU, as the catalog is: walk
	// both in step instead of looking each SKU up.
	c, i := -1, 0
	chName := ""
	for _, l := range res.Listings {
		if l.Channel != chName {
			_, c, _ = s.Channel(l.Channel)
			chName, i = l.Channel, 0
		}
		for i < np && s.Products[i].SKU != l.SKU {
			i++
		}
		if c < 0 || i >= np {
			i = 0
			continue
		}
		g.listed[c][i] = true
		if l.Quantity.Valid {
			g.qty[c][i] = l.Quantity.Units
		}
		g.price[c][i] = l.Price
	}
	return g
}

// Duration formats a window for people: "30 days", "36 hours", "15 minutes".
func Duration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return d.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
