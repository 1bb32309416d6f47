package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
	"github.com/accordhq/accord/spec/money"
)

// Pricing is the pricing matrix: what each channel may charge and why, and
// how each promotion in the window reaches every channel.
type Pricing struct {
	Matrices   []MatrixSummary    `json:"matrices"`
	Channels   []PriceChannel     `json:"channels"`
	Parities   []ParityRule       `json:"parity"`
	Promotions []PromotionCascade `json:"promotions"`
	Charts     []PriceChart       `json:"charts"`
}

// MatrixSummary is one price matrix.
type MatrixSummary struct {
	Name      string  `json:"name"`
	SKUs      int     `json:"skus"`
	Anchor    *string `json:"anchor"`
	Rounding  string  `json:"rounding"`
	MAPFloor  bool    `json:"map_floor"`
	MinMargin *string `json:"min_margin"`
	Overrides int     `json:"overrides"`
}

// PriceChannel is one channel's pricing row.
type PriceChannel struct {
	Channel     string `json:"channel"`
	Type        string `json:"type"`
	Marketplace string `json:"marketplace"`
	Currency    string `json:"currency"`
	FXRate      string `json:"fx_rate"`
	// Adjust, Rounding and MaxDeviation are per matrix: "default: +8%".
	Adjust       []string `json:"adjust"`
	Rounding     []string `json:"rounding"`
	MaxDeviation []string `json:"max_deviation"`
	// Floors says what no price of the channel goes under.
	Floors string `json:"floors"`
	// Parity names the rules that hold this channel's prices.
	Parity []string `json:"parity"`
	// Policy is the marketplace's pricing policy that parity protects.
	Policy string `json:"policy"`
}

// ParityRule is one parity block in words.
type ParityRule struct {
	Name        string   `json:"name"`
	Channel     string   `json:"channel"`
	Against     []string `json:"against"`
	MaxGap      string   `json:"max_gap"`
	OnViolation string   `json:"on_violation"`
}

// PromotionCascade is how one promotion in the window reaches each
// channel, worked out at its first instant in the window.
type PromotionCascade struct {
	Name     string    `json:"name"`
	Partner  *string   `json:"partner"`
	Campaign *string   `json:"campaign"`
	Funding  *string   `json:"partner_funding"`
	Discount string    `json:"discount"`
	Starts   time.Time `json:"starts"`
	Ends     time.Time `json:"ends"`
	Status   string    `json:"status"`
	SKUs     int       `json:"skus"`
	// From is the instant the cascade is worked out at: the start, or the
	// report's instant for a promotion already running.
	From     time.Time        `json:"from"`
	Channels []CascadeChannel `json:"channels"`
	// Findings counts the derivation's findings on the promotion's SKUs at
	// From: clamped to a floor, ineffective, parity breaches.
	Findings []FindingCount `json:"findings"`
}

// CascadeChannel is one channel under a promotion.
type CascadeChannel struct {
	Channel string `json:"channel"`
	// On says the promotion runs on the channel; a channel it does not run
	// on may still move through a parity rule (Moved).
	On bool `json:"on"`
	// Priced counts the listings whose price the promotion sets; Moved the
	// listings whose price is lower at From than just before the
	// promotion started without the promotion setting it (parity).
	Priced int `json:"priced"`
	Moved  int `json:"moved_by_parity"`
	// Example is one SKU's price before the promotion and at From.
	Example *PriceExample `json:"example"`
}

// PriceExample is one listing's price before and during a promotion.
type PriceExample struct {
	SKU    string `json:"sku"`
	Before string `json:"before"`
	During string `json:"during"`
}

// FindingCount counts one finding code.
type FindingCount struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// PriceChart is one promoted SKU's price on every channel over the window,
// with its floor and parity limit: the step chart of the page.
type PriceChart struct {
	Promotion string        `json:"promotion"`
	SKU       string        `json:"sku"`
	Title     string        `json:"title"`
	Series    []PriceSeries `json:"series"`
}

// PriceSeries is one channel's prices at each instant of the window.
type PriceSeries struct {
	Channel  string       `json:"channel"`
	Currency string       `json:"currency"`
	Points   []PricePoint `json:"points"`
}

// PricePoint is a channel's price from At until the next point. Floor and
// Limit (the parity limit) are nil when none holds.
type PricePoint struct {
	At    time.Time `json:"at"`
	Price *string   `json:"price"`
	Floor *string   `json:"floor"`
	Limit *string   `json:"parity_limit"`
}

// maxCharts bounds the step charts: one per promotion, the first ones in
// the window.
const maxCharts = 8

func buildPricing(ctx context.Context, e *derive.Engine, s *spec.Spec, kinds Kinds, tl *timeline) (Pricing, error) {
	var pr Pricing
	for _, m := range s.Matrices {
		ms := MatrixSummary{Name: m.Name, SKUs: len(s.Products), Rounding: m.RoundingText, MAPFloor: m.MAPFloor}
		if m.SKUs != nil {
			ms.SKUs = m.SKUs.Count
		}
		if ms.Rounding == "" {
			ms.Rounding = "none"
		}
		if m.Anchor != "" {
			a := m.Anchor
			ms.Anchor = &a
		}
		if m.MinMargin.Valid {
			v := money.FormatPercent(m.MinMargin.Decimal)
			ms.MinMargin = &v
		}
		for _, byCh := range m.Overrides {
			ms.Overrides += len(byCh)
		}
		pr.Matrices = append(pr.Matrices, ms)
	}
	for _, ch := range s.Channels {
		kind, _ := kinds.Lookup(ch.Type)
		pc := PriceChannel{Channel: ch.Name, Type: ch.Type, Marketplace: kind.Profile.Marketplace, Currency: ch.Currency,
			FXRate: ch.FXRate.String(), Policy: kind.Profile.PricingPolicy, Adjust: []string{}, Rounding: []string{}, MaxDeviation: []string{}, Parity: []string{}}
		var floors []string
		for _, m := range s.Matrices {
			mc := m.PerChannel[ch.Name]
			adj := "none"
			if !mc.Adjust.IsZero() {
				adj = mc.Adjust.String()
			}
			if m.Anchor == ch.Name {
				adj += " (the anchor)"
			}
			pc.Adjust = append(pc.Adjust, m.Name+": "+adj)
			rounding := m.RoundingText
			if mc.Rounding != nil {
				rounding = mc.Rounding.String()
			}
			if rounding == "" {
				rounding = "none"
			}
			pc.Rounding = append(pc.Rounding, m.Name+": "+rounding)
			if mc.MaxDeviation.Valid {
				pc.MaxDeviation = append(pc.MaxDeviation, fmt.Sprintf("%s: %s from %s", m.Name, money.FormatPercent(mc.MaxDeviation.Decimal), m.Anchor))
			}
			var f []string
			if m.MAPFloor {
				f = append(f, "MAP")
			}
			if m.MinMargin.Valid {
				f = append(f, money.FormatPercent(m.MinMargin.Decimal)+" margin over cost")
			}
			if len(f) > 0 {
				floors = append(floors, m.Name+": "+strings.Join(f, " and "))
			}
		}
		pc.Floors = "none"
		if len(floors) > 0 {
			pc.Floors = strings.Join(floors, "; ")
		}
		for _, p := range s.Parities {
			if p.Channel == ch.Name {
				pc.Parity = append(pc.Parity, p.Name)
			}
		}
		pr.Channels = append(pr.Channels, pc)
	}
	for _, p := range s.Parities {
		pr.Parities = append(pr.Parities, ParityRule{Name: p.Name, Channel: p.Channel, Against: p.Against,
			MaxGap: money.FormatPercent(p.MaxGap), OnViolation: string(p.OnViolation)})
	}
	var err error
	if pr.Promotions, err = cascades(ctx, e, s, tl); err != nil {
		return pr, err
	}
	if pr.Charts, err = charts(ctx, e, s, tl); err != nil {
		return pr, err
	}
	return pr, nil
}

// inWindow returns the promotions that run at some time in [at, until),
// in the order they start.
func inWindow(s *spec.Spec, at, until time.Time) []*spec.Promotion {
	var out []*spec.Promotion
	for _, p := range s.Promotions {
		if p.Ends.After(at) && p.Starts.Before(until) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Starts.Equal(out[j].Starts) {
			return out[i].Starts.Before(out[j].Starts)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// coveredSKUs lists the SKUs a promotion covers.
func coveredSKUs(s *spec.Spec, p *spec.Promotion) []string {
	skus := make([]string, 0, p.CoverCount)
	for i, c := range p.Covers {
		if c {
			skus = append(skus, s.Products[i].SKU)
		}
	}
	return skus
}

// cascades works out each promotion in the window on every channel, from
// two derivations of its SKUs: just before it starts and at its first
// instant in the window.
func cascades(ctx context.Context, e *derive.Engine, s *spec.Spec, tl *timeline) ([]PromotionCascade, error) {
	out := []PromotionCascade{}
	for _, p := range inWindow(s, tl.at, tl.until) {
		from := p.Starts
		status := "scheduled"
		if !from.After(tl.at) {
			from, status = tl.at, "active"
		}
		pc := PromotionCascade{Name: p.Name, Discount: p.Discount.Format(s.Settings.CurrencyScale), Starts: p.Starts, Ends: p.Ends,
			Status: status, SKUs: p.CoverCount, From: from, Channels: []CascadeChannel{}, Findings: []FindingCount{}}
		if p.Partner != "" {
			v := p.Partner
			pc.Partner = &v
		}
		if p.Campaign != nil {
			v := p.Campaign.Name
			pc.Campaign = &v
			if p.Campaign.Def.Funding.Valid {
				f := money.FormatPercent(p.Campaign.Def.Funding.Decimal)
				pc.Funding = &f
			}
		}
		skus := coveredSKUs(s, p)
		if len(skus) > 0 {
			before, err := e.DeriveContext(ctx, derive.Options{At: p.Starts.Add(-time.Nanosecond), SKUs: skus, NoFields: true})
			if err != nil {
				return nil, err
			}
			// A promotion running now is in the derivation already made.
			during := tl.now
			if from.After(tl.at) {
				if during, err = e.DeriveContext(ctx, derive.Options{At: from, SKUs: skus, NoFields: true}); err != nil {
					return nil, err
				}
			}
			pc.Channels = cascadeChannels(s, p, before, during)
			pc.Findings = countFindings(during.Findings, promotionCodes, p, s)
		}
		out = append(out, pc)
	}
	return out, nil
}

// promotionCodes are the findings a promotion's cascade reports.
var promotionCodes = map[string]bool{
	derive.CodePromotionClamped: true, derive.CodePromotionIneffective: true, derive.CodePromotionConflict: true,
	derive.CodePromotionMinDiscount: true, derive.CodeParityViolation: true, derive.CodeParityUnresolvable: true,
	derive.CodeBelowFloor: true, derive.CodeInvalidPrice: true,
}

func cascadeChannels(s *spec.Spec, p *spec.Promotion, before, during *derive.Result) []CascadeChannel {
	prev := make(map[adapters.Key]decimal.NullDecimal, len(before.Listings))
	for _, l := range before.Listings {
		prev[l.Key] = l.Price
	}
	byCh := map[string]*CascadeChannel{}
	var out []CascadeChannel
	for _, ch := range s.Channels {
		out = append(out, CascadeChannel{Channel: ch.Name, On: p.OnChannel(ch.Name)})
	}
	for i := range out {
		byCh[out[i].Channel] = &out[i]
	}
	for _, l := range during.Listings {
		cc := byCh[l.Channel]
		was, covered := prev[l.Key]
		if !covered {
			continue // a listing of another SKU, in a derivation of every SKU
		}
		switch {
		case l.Promotion == p.Name:
			cc.Priced++
		case l.Price.Valid && was.Valid && l.Price.Decimal.LessThan(was.Decimal) && l.Promotion == "":
			cc.Moved++
		default:
			continue
		}
		if cc.Example == nil && l.Price.Valid && was.Valid {
			ch, _, _ := s.Channel(l.Channel)
			cc.Example = &PriceExample{SKU: l.SKU, Before: was.Decimal.StringFixed(ch.Scale), During: l.Price.Decimal.StringFixed(ch.Scale)}
		}
	}
	return out
}

// countFindings counts the findings of the given codes on a promotion's
// SKUs.
func countFindings(fs []derive.Finding, codes map[string]bool, p *spec.Promotion, s *spec.Spec) []FindingCount {
	counts := map[string]*FindingCount{}
	for _, f := range fs {
		if !codes[f.Code] {
			continue
		}
		if _, i, ok := s.Product(f.SKU); !ok || !p.Covers[i] {
			continue
		}
		c := counts[f.Code]
		if c == nil {
			c = &FindingCount{Code: f.Code, Severity: string(f.Severity)}
			counts[f.Code] = c
		}
		c.Count++
	}
	out := []FindingCount{}
	for _, k := range sortedKeys(counts) {
		out = append(out, *counts[k])
	}
	return out
}

// charts draws, for the first promotions in the window, one SKU's price on
// every channel at each instant of the window, with floors and parity
// limits.
func charts(ctx context.Context, e *derive.Engine, s *spec.Spec, tl *timeline) ([]PriceChart, error) {
	type rep struct {
		promo *spec.Promotion
		sku   string
		title string
	}
	var reps []rep
	seen := map[string]bool{}
	for _, p := range inWindow(s, tl.at, tl.until) {
		if len(reps) == maxCharts {
			break
		}
		for i, c := range p.Covers {
			if c && !seen[s.Products[i].SKU] {
				seen[s.Products[i].SKU] = true
				reps = append(reps, rep{promo: p, sku: s.Products[i].SKU, title: s.Products[i].Title})
				break
			}
		}
	}
	out := []PriceChart{}
	if len(reps) == 0 {
		return out, nil
	}
	skus := make([]string, len(reps))
	for k, r := range reps {
		skus[k] = r.sku
	}
	instants := append([]time.Time{tl.at}, tl.boundaries...)
	type at struct {
		prices map[adapters.Key]decimal.NullDecimal
		floors map[adapters.Key]decimal.Decimal
	}
	results := make([]at, len(instants))
	for k, t := range instants {
		res, err := e.DeriveContext(ctx, derive.Options{At: t, SKUs: skus, NoFields: true, Floors: true})
		if err != nil {
			return nil, err
		}
		results[k] = at{prices: map[adapters.Key]decimal.NullDecimal{}, floors: res.Floors}
		for _, l := range res.Listings {
			results[k].prices[l.Key] = l.Price
		}
	}
	for _, r := range reps {
		chart := PriceChart{Promotion: r.promo.Name, SKU: r.sku, Title: r.title}
		for _, ch := range s.Channels {
			series := PriceSeries{Channel: ch.Name, Currency: ch.Currency}
			for k, t := range instants {
				key := adapters.Key{Channel: ch.Name, SKU: r.sku}
				price, ok := results[k].prices[key]
				if !ok {
					continue
				}
				pt := PricePoint{At: t, Price: fixed(price, ch.Scale)}
				if f, ok := results[k].floors[key]; ok {
					pt.Floor = fixed(decimal.NullDecimal{Decimal: f, Valid: true}, ch.Scale)
				}
				pt.Limit = parityLimit(s, ch, r.sku, results[k].prices)
				series.Points = append(series.Points, pt)
			}
			if len(series.Points) > 0 {
				chart.Series = append(chart.Series, series)
			}
		}
		out = append(out, chart)
	}
	return out, nil
}

// parityLimit is the lowest limit the parity rules of a channel set on a
// SKU's price, from the other channels' prices; nil when no rule holds it.
func parityLimit(s *spec.Spec, ch *spec.Channel, sku string, prices map[adapters.Key]decimal.NullDecimal) *string {
	var limit decimal.Decimal
	found := false
	for _, rule := range s.Parities {
		if rule.Channel != ch.Name {
			continue
		}
		for _, name := range rule.Against {
			other, _, ok := s.Channel(name)
			p := prices[adapters.Key{Channel: name, SKU: sku}]
			if !ok || !p.Valid {
				continue
			}
			v := p.Decimal.Div(other.FXRate).Mul(ch.FXRate).Mul(decimal.NewFromInt(1).Add(rule.MaxGap))
			if !found || v.LessThan(limit) {
				limit, found = v, true
			}
		}
	}
	if !found {
		return nil
	}
	return fixed(decimal.NullDecimal{Decimal: limit, Valid: true}, ch.Scale)
}

func fixed(v decimal.NullDecimal, scale int32) *string {
	if !v.Valid {
		return nil
	}
	s := v.Decimal.StringFixed(scale)
	return &s
}
