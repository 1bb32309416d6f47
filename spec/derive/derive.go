// Package derive evaluates a loaded spec into the desired state of every
// listing at an instant: the quantity each channel lists (pools, buffers,
// reserves, low-stock throttles), the price and compare-at price (matrices,
// promotions, floors, rounding, parity, deviation) and the listing fields,
// together with findings that carry a severity, a stable code and the spec
// line that caused them.
//
// It does no I/O: on-hand stock comes in through the Stock interface. The
// arithmetic is exactly the one docs/spec-language.md defines, in
// shopspring decimals throughout.
package derive

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// Severity says whether a finding blocks the listing.
type Severity string

// The severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding codes. They are stable: scripts and dashboards key on them.
const (
	CodePromotionConflict    = "promotion_conflict"
	CodePromotionClamped     = "promotion_clamped"
	CodePromotionIneffective = "promotion_ineffective"
	CodePromotionMinDiscount = "promotion_below_min_discount"
	CodeBelowFloor           = "below_floor"
	CodeInvalidPrice         = "invalid_price"
	CodeParityUnresolvable   = "parity_unresolvable"
	CodeParityViolation      = "parity_violation"
	CodePriceDeviation       = "price_deviation"
	CodeMaxLength            = "max_length"
	CodeTruncated            = "truncated"
	CodeFieldError           = "field_error"
	CodeSharedField          = "shared_field_mismatch"
	CodeStockMissing         = "stock_missing"
)

// Finding is something the derivation found about a listing.
type Finding struct {
	Severity Severity
	Code     string
	// Channel is "" for a finding about the SKU on every channel.
	Channel string
	SKU     string
	// Field names the listing field for field findings.
	Field   string
	Message string
	// Range is the spec line that caused the finding.
	Range hcl.Range
}

// Listing is one derived listing.
type Listing struct {
	adapters.Listing
	// Promotion is the name of the promotion that sets the price, or "".
	Promotion string
}

// Result is the desired state at an instant.
type Result struct {
	At time.Time
	// Listings is sorted by channel, then SKU.
	Listings []Listing
	// Findings is sorted by channel, then SKU, then code.
	Findings []Finding
	// Traces holds each listing's derivation step by step, when
	// Options.Trace is set.
	Traces map[adapters.Key][]Step
	// Floors holds the floor under each listing's price (its sale floor
	// while a promotion sets the price), when Options.Floors is set; a
	// listing without a floor has no entry.
	Floors map[adapters.Key]decimal.Decimal
}

// Stock gives the on-hand quantity of a SKU at a stock source.
type Stock interface {
	OnHand(source, sku string) (units int64, ok bool)
}

// Options says what to derive.
type Options struct {
	At time.Time
	// Stock is where on-hand comes from; nil leaves quantities out (for
	// validation, which must not need the warehouse).
	Stock Stock
	// SKUs restricts the derivation to these catalog SKUs; nil means all.
	SKUs []string
	// NoFields leaves listing fields out.
	NoFields bool
	// Trace records every step of every listing, for explain.
	Trace bool
	// Floors records the floor under every listing's price, for the
	// report's price charts.
	Floors bool
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
}

// Derive computes the desired listings at opts.At. The spec must be one that
// loaded; a spec with load errors may still be derived, for validation, and
// simply leaves out what failed to load.
func Derive(s *spec.Spec, opts Options) *Result {
	res, _ := New(s).DeriveContext(context.Background(), opts)
	return res
}

// Desired is Derive that stops early, with ctx's error, when ctx ends.
func Desired(ctx context.Context, s *spec.Spec, opts Options) (*Result, error) {
	return New(s).DeriveContext(ctx, opts)
}

// Engine holds the indexes of one spec, so that several instants (as
// validation needs) are derived without rebuilding them.
type Engine struct {
	s        *spec.Spec
	pools    []*poolPlan
	poolOf   [][]int32 // [channel][product] -> index in pools, or -1
	matrices []*matrixPlan
	matOf    []int32 // [product] -> index in matrices, or -1
	parity   []*spec.Parity
	fields   *fieldPlan
	// listedOn[c][i] reports that channel c lists product i; nil for a
	// channel that lists every product (no sku_column).
	listedOn [][]bool
}

// New indexes a spec for derivation.
func New(s *spec.Spec) *Engine {
	e := &Engine{s: s, listedOn: make([][]bool, len(s.Channels))}
	for c, ch := range s.Channels {
		if ch.SKUColumn == "" {
			continue
		}
		on := make([]bool, len(s.Products))
		for i, p := range s.Products {
			_, on[i] = ch.ChannelSKU(p)
		}
		e.listedOn[c] = on
	}
	e.planPools()
	e.planMatrices()
	e.parity = parityOrder(s)
	e.fields = planFields(s)
	return e
}

// Derive computes the desired listings at opts.At.
func (e *Engine) Derive(opts Options) *Result {
	res, _ := e.DeriveContext(context.Background(), opts)
	return res
}

// cancelEvery is how many products a worker derives between looks at its
// context: often enough to stop within milliseconds, rarely enough to cost
// nothing.
const cancelEvery = 1024

// DeriveContext computes the desired listings at opts.At, or stops early
// with ctx's error when ctx ends.
func (e *Engine) DeriveContext(ctx context.Context, opts Options) (*Result, error) {
	products := e.productIndexes(opts.SKUs)
	res := &Result{At: opts.At}
	nc := len(e.s.Channels)
	active := e.activePromotions(opts.At)

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(products)/256+1 {
		workers = len(products)/256 + 1
	}
	// Each worker derives a range of SKUs on every channel and writes the
	// listings straight into its own span of one slice, at an offset worked
	// out from an upper bound (the products the channel lists); so the
	// result is built in channel then SKU order without a second copy, and
	// the few pairs that yield no listing leave gaps closed at the end.
	chunk := (len(products) + workers - 1) / workers
	type span struct{ off, n int }
	spans := make([][]span, nc) // [channel][worker]
	total := 0
	for c := 0; c < nc; c++ {
		spans[c] = make([]span, workers)
		for w := 0; w < workers; w++ {
			lo, hi := w*chunk, min((w+1)*chunk, len(products))
			bound := 0
			for k := lo; k < hi; k++ {
				if e.listedOn[c] == nil || e.listedOn[c][products[k]] {
					bound++
				}
			}
			spans[c][w].off = total
			total += bound
		}
	}
	res.Listings = make([]Listing, total)
	findings := make([][]Finding, workers)
	traces := make([]map[adapters.Key][]Step, workers)
	floors := make([]map[adapters.Key]decimal.Decimal, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(products))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			run := newSKURun(e, opts, active)
			for k := lo; k < hi; k++ {
				if (k-lo)%cancelEvery == cancelEvery-1 && ctx.Err() != nil {
					return
				}
				run.derive(products[k], func(c int, l Listing) {
					sp := &spans[c][w]
					res.Listings[sp.off+sp.n] = l
					sp.n++
				})
			}
			findings[w], traces[w], floors[w] = run.findings, run.traced, run.floors
		}(w, lo, hi)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := 0
	for c := 0; c < nc; c++ {
		for _, sp := range spans[c] {
			n += copy(res.Listings[n:], res.Listings[sp.off:sp.off+sp.n])
		}
	}
	clear(res.Listings[n:])
	res.Listings = res.Listings[:n:n]
	if opts.Trace {
		res.Traces = map[adapters.Key][]Step{}
		for _, t := range traces {
			for k, v := range t {
				res.Traces[k] = v
			}
		}
	}
	if opts.Floors {
		res.Floors = map[adapters.Key]decimal.Decimal{}
		for _, m := range floors {
			for k, v := range m {
				res.Floors[k] = v
			}
		}
	}
	for _, f := range findings {
		res.Findings = append(res.Findings, f...)
	}
	SortFindings(res.Findings)
	return res, nil
}

// SortFindings orders findings by channel, SKU, code and field.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		if a.SKU != b.SKU {
			return a.SKU < b.SKU
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Field < b.Field
	})
}

func (e *Engine) productIndexes(skus []string) []int {
	if skus == nil {
		idx := make([]int, len(e.s.Products))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	var idx []int
	for _, sku := range skus {
		if _, i, ok := e.s.Product(sku); ok {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	return idx
}

// activePromotions lists, per channel, the promotions running at t.
func (e *Engine) activePromotions(t time.Time) [][]*spec.Promotion {
	out := make([][]*spec.Promotion, len(e.s.Channels))
	for _, p := range e.s.Promotions {
		if !p.Active(t) {
			continue
		}
		for c, ch := range e.s.Channels {
			if p.OnChannel(ch.Name) {
				out[c] = append(out[c], p)
			}
		}
	}
	return out
}

// skuRun is one worker's state: it derives every channel of one SKU at a
// time, because parity and shared fields compare channels of the same SKU.
type skuRun struct {
	e        *Engine
	opts     Options
	active   [][]*spec.Promotion
	findings []Finding
	prices   []chanPrice
	fields   *fieldRun
	missing  map[string]bool
	// listed and traces are per-SKU scratch, reused across SKUs.
	listed []bool
	traces []*tracer
	traced map[adapters.Key][]Step
	floors map[adapters.Key]decimal.Decimal
}

func newSKURun(e *Engine, opts Options, active [][]*spec.Promotion) *skuRun {
	nc := len(e.s.Channels)
	r := &skuRun{e: e, opts: opts, active: active, prices: make([]chanPrice, nc), listed: make([]bool, nc), traces: make([]*tracer, nc)}
	if !opts.NoFields && e.fields != nil {
		r.fields = newFieldRun(e.s, e.fields)
	}
	return r
}

func (r *skuRun) add(f Finding) { r.findings = append(r.findings, f) }

func (r *skuRun) derive(i int, emit func(c int, l Listing)) {
	s := r.e.s
	p := s.Products[i]
	listed, traces := r.listed, r.traces
	for c := range s.Channels {
		listed[c] = r.e.listedOn[c] == nil || r.e.listedOn[c][i]
		if r.opts.Trace {
			traces[c] = &tracer{}
		}
	}
	r.derivePrices(i, listed, traces)
	var fieldVals [][]adapters.Field
	if r.fields != nil {
		fieldVals = r.fields.derive(r, i, listed, traces)
	}
	r.missing = nil
	for c, ch := range s.Channels {
		if !listed[c] {
			continue
		}
		l := Listing{Listing: adapters.Listing{Key: adapters.Key{Channel: ch.Name, SKU: p.SKU}, Currency: ch.Currency}}
		if r.opts.Stock != nil {
			l.Quantity = r.quantity(c, i, traces[c])
		}
		if cp := &r.prices[c]; cp.ok {
			l.Price = decimal.NullDecimal{Decimal: cp.final, Valid: true}
			if r.opts.Floors && cp.floorKind != noFloor {
				if r.floors == nil {
					r.floors = map[adapters.Key]decimal.Decimal{}
				}
				r.floors[l.Key] = cp.floor
			}
			if cp.promo != nil {
				l.CompareAt = decimal.NullDecimal{Decimal: cp.regRounded, Valid: true}
				l.Promotion = cp.promo.Name
			}
		}
		if fieldVals != nil {
			l.Fields = fieldVals[c]
		}
		if r.e.poolOf[c][i] < 0 && r.e.matOf[i] < 0 && len(l.Fields) == 0 {
			continue // accord manages nothing of this listing
		}
		if traces[c] != nil {
			if r.traced == nil {
				r.traced = map[adapters.Key][]Step{}
			}
			r.traced[l.Key] = traces[c].steps
		}
		emit(c, l)
	}
}
