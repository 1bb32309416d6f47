package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Risk is one entry of the risk checklist.
type Risk struct {
	Rank int `json:"rank"`
	// Kind is oversell, price_parity or listing_suppression.
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Detail   string `json:"detail"`
	Channel  string `json:"channel,omitempty"`
	Pool     string `json:"pool,omitempty"`
	// Count is how many listings (or SKUs, or exceptions) it concerns.
	Count int `json:"count"`
	// First is the first instant it holds, for risks that come with a
	// promotion.
	First *time.Time `json:"first,omitempty"`
	// Chance is an oversell risk's chance of at least one oversell in one
	// sync interval, and PerDay the oversells expected in a day.
	Chance   *string  `json:"chance_per_interval,omitempty"`
	PerDay   *string  `json:"expected_per_day,omitempty"`
	Examples []string `json:"examples,omitempty"`
	// Affected lists every listing, SKU or exception the risk concerns,
	// in the JSON only: the page shows the examples.
	Affected []Affected `json:"affected"`
	Alert    Alert      `json:"alert"`

	score float64
	order int
}

// Affected is one listing (or SKU, or exception) a risk concerns.
type Affected struct {
	SKU     string `json:"sku,omitempty"`
	Channel string `json:"channel,omitempty"`
	Detail  string `json:"detail"`
}

// Alert is what watches a risk: the exception accord records when it
// happens, or the finding validate and plan report before it can, and the
// metric accord run exports for it.
type Alert struct {
	Exception string `json:"exception,omitempty"`
	Finding   string `json:"finding,omitempty"`
	Metric    string `json:"metric"`
}

// The kinds of risk.
const (
	KindOversell    = "oversell"
	KindPriceParity = "price_parity"
	KindSuppression = "listing_suppression"
)

// The severities, most urgent first.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// exceptionAlert is the alert on an exception code; findingAlert on a
// derivation finding. The metric names are accord run's.
func exceptionAlert(code, channel string) Alert {
	if channel == "" {
		return Alert{Exception: code, Metric: fmt.Sprintf(`accord_exceptions_open{code=%q}`, code)}
	}
	return Alert{Exception: code, Metric: fmt.Sprintf(`accord_exceptions_open{code=%q,channel=%q}`, code, channel)}
}

func findingAlert(code, channel string) Alert {
	return Alert{Finding: code, Metric: fmt.Sprintf(`accord_findings{code=%q,channel=%q}`, code, channel)}
}

// timeline is the derivation over the window: the promotion boundaries in
// it and every finding, at the first instant it holds.
type timeline struct {
	// now is the derivation at the report's instant.
	now        *derive.Result
	at, until  time.Time
	boundaries []time.Time
	findings   []derive.TimedFinding
}

func buildTimeline(ctx context.Context, e *derive.Engine, s *spec.Spec, now *derive.Result, until time.Time) (*timeline, error) {
	tl := &timeline{now: now, at: now.At, until: until}
	for _, b := range derive.Boundaries(s, now.At) {
		if b.Before(until) {
			tl.boundaries = append(tl.boundaries, b)
		}
	}
	var err error
	if tl.findings, err = e.CheckFrom(ctx, now, until); err != nil {
		return nil, fmt.Errorf("derive the window: %w", err)
	}
	return tl, nil
}

func buildRisks(s *spec.Spec, in Input, g *grid, inv *Inventory, tl *timeline, now *derive.Result) []Risk {
	var risks []Risk
	risks = append(risks, oversellRisks(s, in, g, inv)...)
	risks = append(risks, findingRisks(tl)...)
	risks = append(risks, suppressionRisks(s, in, g, now)...)
	risks = append(risks, exceptionRisks(in.Exceptions)...)
	rank := map[string]int{High: 0, Medium: 1, Low: 2}
	for i := range risks {
		risks[i].order = i
	}
	sort.SliceStable(risks, func(i, j int) bool {
		a, b := risks[i], risks[j]
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		if a.score != b.score {
			return a.score > b.score
		}
		return a.order < b.order
	})
	for i := range risks {
		risks[i].Rank = i + 1
		if risks[i].Affected == nil {
			risks[i].Affected = []Affected{}
		}
	}
	if risks == nil {
		risks = []Risk{}
	}
	return risks
}

// oversellRisks models, for each pool channel whose quantity writes are
// not compare-and-set, the sales it takes in one sync interval as Poisson
// with the channel's orders a day spread evenly over the SKUs it lists. A
// SKU oversells when those sales exceed its margin: the units on hand the
// channel does not list and no other channel has reserved (the safety
// stock and the channel's own buffer, max and throttle).
func oversellRisks(s *spec.Spec, in Input, g *grid, inv *Inventory) []Risk {
	var out []Risk
	rows := map[string]InventoryChannel{}
	for _, r := range inv.Channels {
		rows[r.Channel] = r
	}
	intervalsPerDay := float64(24*time.Hour) / float64(in.Interval)
	for _, p := range s.Pools {
		var reserves int64
		for _, name := range p.Channels {
			reserves += p.PerChannel[name].Reserve
		}
		for _, name := range p.Channels {
			ch, c, ok := s.Channel(name)
			row := rows[name]
			if !ok || row.CompareAndSet {
				continue
			}
			pc := p.PerChannel[name]
			if len(p.Channels) > 1 && pc.Buffer.Units == 0 && pc.Buffer.Fraction.IsZero() && pc.Reserve == 0 && !pc.HasMax {
				out = append(out, Risk{Kind: KindOversell, Severity: Medium, Channel: name, Pool: p.Name, Count: row.Listed,
					Title:  fmt.Sprintf("%s shares pool %s with no buffer", name, p.Name),
					Detail: fmt.Sprintf("%s lists every unit pool %s can sell and its quantity writes are not compare-and-set: the last units can sell here and on another channel at once. A buffer (a few units, or a percentage) keeps a margin.", name, p.Name),
					Alert:  exceptionAlert(plan.CodeOversellRisk, name), score: float64(row.Listed)})
			}
			rate, known := orderRate(ch, in)
			if !known {
				out = append(out, Risk{Kind: KindOversell, Severity: Low, Channel: name, Pool: p.Name, Count: row.Listed,
					Title:  fmt.Sprintf("%s's order rate is unknown", name),
					Detail: fmt.Sprintf("Set orders_per_day on channel %q (or run the report with --orders-from-audit) to estimate how likely an oversell is between two syncs.", name),
					Alert:  exceptionAlert(plan.CodeOversellRisk, name)})
				continue
			}
			if row.Listed == 0 {
				continue
			}
			lambda := rate / float64(row.Listed) / intervalsPerDay
			tails := map[int64]float64{}
			var logNone, perInterval float64
			type worst struct {
				sku string
				p   float64
			}
			var ws []worst
			atRisk := 0
			for i, prod := range s.Products {
				q := g.qty[c][i]
				if q <= 0 || !p.SKUs.Contains(i) {
					continue
				}
				var onHand int64
				if in.Stock != nil {
					onHand, _ = in.Stock.OnHand(p.Source, prod.SKU)
				}
				margin := max(0, onHand-q-(reserves-pc.Reserve))
				pr, ok := tails[margin]
				if !ok {
					pr = poissonTail(lambda, margin)
					tails[margin] = pr
				}
				if pr <= 0 {
					continue
				}
				logNone += math.Log1p(-pr)
				perInterval += pr
				if pr >= 0.01 {
					atRisk++
				}
				ws = append(ws, worst{prod.SKU, pr})
			}
			chance := -math.Expm1(logNone)
			perDay := perInterval * intervalsPerDay
			sev := Low
			switch {
			case perDay >= 1 || chance >= 0.5:
				sev = High
			case perDay >= 0.05:
				sev = Medium
			}
			sort.SliceStable(ws, func(i, j int) bool { return ws[i].p > ws[j].p })
			var affected []Affected
			for _, w := range ws {
				if w.p >= 0.001 {
					affected = append(affected, Affected{SKU: w.sku, Channel: name, Detail: pct(w.p) + " chance of overselling between two syncs"})
				}
			}
			var ex []string
			for _, w := range ws[:min(3, len(ws))] {
				if w.p >= 0.001 {
					ex = append(ex, fmt.Sprintf("%s: %s a sync", w.sku, pct(w.p)))
				}
			}
			c1, d1 := pct(chance), fmt.Sprintf("%.2f", perDay)
			detail := fmt.Sprintf("At %s orders a day over %d listed SKUs, %s with at least a 1%% chance of overselling on %s before the next sync, about %s oversells a day.",
				trimFloat(rate), row.Listed, plural(atRisk, "SKU"), name, d1)
			if atRisk == 0 {
				detail = fmt.Sprintf("At %s orders a day over %d listed SKUs, the stock %s does not list (safety stock, buffer, max) covers what it sells between two syncs: no SKU has a 1%% chance of overselling.",
					trimFloat(rate), row.Listed, name)
			}
			detail += " Its quantity writes are not compare-and-set, so a sale made between two syncs is overwritten."
			out = append(out, Risk{Kind: KindOversell, Severity: sev, Channel: name, Pool: p.Name, Count: atRisk,
				Title:  fmt.Sprintf("Oversell on %s: %s chance between two syncs (every %s)", name, c1, Duration(in.Interval)),
				Detail: detail,
				Chance: &c1, PerDay: &d1, Examples: ex, Affected: affected, Alert: exceptionAlert(plan.CodeOversellRisk, name), score: perDay})
		}
	}
	for _, ps := range inv.Pools {
		if ps.BelowBuffers > 0 {
			out = append(out, Risk{Kind: KindOversell, Severity: Medium, Pool: ps.Name, Count: ps.BelowBuffers,
				Title:    fmt.Sprintf("%s in pool %s hold less stock than their buffers add up to", plural(ps.BelowBuffers, "SKU"), ps.Name),
				Detail:   "The buffers of the pool's channels together withhold more than is available, so some channel lists units another one's buffer was meant to protect.",
				Examples: ps.belowBuffers[:min(3, len(ps.belowBuffers))], Affected: skuList(ps.belowBuffers, "", "available stock under the sum of the buffers"),
				Alert: exceptionAlert(plan.CodeOversellRisk, ""), score: float64(ps.BelowBuffers)})
		}
	}
	return out
}

// orderRate is a channel's orders a day: the spec's, else the estimate from
// the audit log.
func orderRate(ch *spec.Channel, in Input) (float64, bool) {
	if ch.OrdersPerDay.Valid {
		return ch.OrdersPerDay.Decimal.InexactFloat64(), true
	}
	if est, ok := in.Orders[ch.Name]; ok {
		return est.PerDay.InexactFloat64(), true
	}
	return 0, false
}

// poissonTail is P(N > m) for N Poisson with mean lambda. It is a chance,
// not money or a quantity, so it is worked in floating point.
func poissonTail(lambda float64, m int64) float64 {
	if lambda <= 0 {
		return 0
	}
	// Past the mean by many deviations the tail is nothing a person acts on.
	if float64(m) > lambda+12*math.Sqrt(lambda)+30 {
		return 0
	}
	term := math.Exp(-lambda)
	cdf := term
	for k := int64(1); k <= m; k++ {
		term *= lambda / float64(k)
		cdf += term
	}
	return max(0, 1-cdf)
}

func pct(p float64) string {
	switch {
	case p >= 0.9995:
		return "100%"
	case p < 0.0005:
		return "under 0.1%"
	}
	return fmt.Sprintf("%.1f%%", p*100)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// findingWords describes the derivation's findings that become risks.
var findingWords = map[string]struct {
	kind, title, detail, exception string
}{
	derive.CodeParityViolation: {KindPriceParity, "%s would sit above its parity limit on %s",
		"The price breaks a parity rule: the marketplace may suppress the offer under its pricing policy.", plan.CodePriceParity},
	derive.CodeParityUnresolvable: {KindPriceParity, "%s cannot match parity above its floor on %s",
		"Matching the parity limit would take the price under its floor; accord keeps the floor and the offer stays above the limit.", plan.CodePriceParity},
	derive.CodePromotionClamped: {KindPriceParity, "A floor holds back a promotion on %s: %s",
		"The sale price is raised to the floor (MAP, margin or max_discount), so the promotion gives less than it says.", ""},
	derive.CodePromotionIneffective: {KindPriceParity, "A promotion does not lower the price on %s: %s",
		"Floors or rounding leave the sale price at the regular price; the promotion does not apply.", ""},
	derive.CodePromotionConflict: {KindPriceParity, "Promotions conflict on %s: %s",
		"Two promotions at one priority cover the same listings; neither applies until one is given a higher priority.", ""},
	derive.CodePromotionMinDiscount: {KindPriceParity, "A promotion falls short of its partner's minimum on %s: %s",
		"Floors pull the sale price under the discount agreed with the partner.", ""},
	derive.CodeBelowFloor: {KindPriceParity, "Regular prices under their floor on %s: %s",
		"The price matrix puts prices under MAP or the margin floor.", plan.CodeMAPViolation},
	derive.CodeMaxLength: {KindSuppression, "Values over the length limit on %s: %s",
		"The value is longer than the channel allows and is not truncated: the marketplace refuses it.", plan.CodeApplyFailed},
	derive.CodeTruncated: {KindSuppression, "Values cut to the length limit on %s: %s",
		"The value is cut at the limit: check that what is left still reads well.", ""},
}

// findingRisks groups the window's findings by code and channel.
func findingRisks(tl *timeline) []Risk {
	type key struct{ code, channel string }
	groups := map[key]*Risk{}
	var keys []key
	for _, f := range tl.findings {
		w, ok := findingWords[f.Code]
		if !ok {
			continue
		}
		k := key{f.Code, f.Channel}
		r := groups[k]
		if r == nil {
			at := f.At
			r = &Risk{Kind: w.kind, Severity: Medium, Channel: f.Channel, First: &at, Detail: w.detail, Alert: findingAlert(f.Code, f.Channel)}
			if f.Severity == derive.Error {
				r.Severity = High
			}
			if f.Code == derive.CodeTruncated {
				r.Severity = Low
			}
			if w.exception != "" {
				r.Alert.Exception = w.exception
			}
			groups[k] = r
			keys = append(keys, k)
		}
		r.Count++
		if f.At.Before(*r.First) {
			at := f.At
			r.First = &at
		}
		if len(r.Examples) < 3 {
			r.Examples = append(r.Examples, fmt.Sprintf("%s: %s", f.SKU, f.Message))
		}
		r.Affected = append(r.Affected, Affected{SKU: f.SKU, Channel: f.Channel, Detail: f.At.UTC().Format(time.RFC3339) + ": " + f.Message})
	}
	var out []Risk
	for _, k := range keys {
		r := groups[k]
		w := findingWords[k.code]
		r.Title = fmt.Sprintf(w.title, dash(k.channel), plural(r.Count, "listing"))
		r.score = float64(r.Count)
		out = append(out, *r)
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "every channel"
	}
	return s
}

// suppressionRisks finds listings a marketplace would refuse: a catalog
// column it requires left empty, a title over its own limit.
func suppressionRisks(s *spec.Spec, in Input, g *grid, now *derive.Result) []Risk {
	var out []Risk
	for c, ch := range s.Channels {
		kind, _ := in.Kinds.Lookup(ch.Type)
		for _, col := range kind.Profile.Requires {
			var skus []string
			for i, p := range s.Products {
				if g.listed[c][i] && p.Column(col) == "" {
					skus = append(skus, p.SKU)
				}
			}
			if n := len(skus); n > 0 {
				out = append(out, Risk{Kind: KindSuppression, Severity: High, Channel: ch.Name, Count: n, Examples: skus[:min(3, n)],
					Affected: skuList(skus, ch.Name, "no "+columnWord(col)),
					Title:    fmt.Sprintf("%s on %s without a %s", plural(n, "listing"), ch.Name, columnWord(col)),
					Detail:   fmt.Sprintf("%s requires a %s on every listing; without one it refuses or suppresses the listing. Fill the catalog's %s column.", kind.Profile.Marketplace, columnWord(col), col),
					Alert:    exceptionAlert(plan.CodeApplyFailed, ch.Name), score: float64(n)})
			}
		}
		if lim := kind.Profile.TitleLimit; lim > 0 {
			var affected []Affected
			for _, l := range now.Listings {
				if l.Channel != ch.Name {
					continue
				}
				if t, ok := l.Field("title"); ok && utf8.RuneCountInString(t) > lim {
					affected = append(affected, Affected{SKU: l.SKU, Channel: ch.Name, Detail: fmt.Sprintf("%d characters", utf8.RuneCountInString(t))})
				}
			}
			if n := len(affected); n > 0 {
				var ex []string
				for _, a := range affected[:min(3, n)] {
					ex = append(ex, a.SKU+": "+a.Detail)
				}
				out = append(out, Risk{Kind: KindSuppression, Severity: High, Channel: ch.Name, Count: n, Examples: ex, Affected: affected,
					Title:  fmt.Sprintf("%s on %s over %s's %d-character title limit", plural(n, "title"), ch.Name, kind.Profile.Marketplace, lim),
					Detail: fmt.Sprintf("Set max_length = { title = %d } for %s in the listing block (with truncate), or shorten the titles.", lim, ch.Name),
					Alert:  exceptionAlert(plan.CodeApplyFailed, ch.Name), score: float64(n)})
			}
		}
	}
	return out
}

// skuList is SKUs as the affected of a risk.
func skuList(skus []string, channel, detail string) []Affected {
	out := make([]Affected, len(skus))
	for i, sku := range skus {
		out[i] = Affected{SKU: sku, Channel: channel, Detail: detail}
	}
	return out
}

// columnWord names a catalog column in a sentence.
func columnWord(col string) string {
	if col == "gtin" {
		return "GTIN"
	}
	return col
}

// exceptionRisks lists the store's unresolved exceptions by code and
// channel: what is already going wrong.
func exceptionRisks(ex []store.Exception) []Risk {
	type key struct{ code, channel string }
	groups := map[key]*Risk{}
	var keys []key
	for _, e := range ex {
		k := key{e.Code, e.Channel}
		r := groups[k]
		if r == nil {
			kind, sev := KindSuppression, Medium
			switch e.Code {
			case plan.CodeOversellRisk:
				kind, sev = KindOversell, High
			case plan.CodePriceParity, plan.CodeMAPViolation:
				kind, sev = KindPriceParity, High
			case plan.CodeApplyFailed:
				sev = High
			}
			r = &Risk{Kind: kind, Severity: sev, Channel: e.Channel, Alert: exceptionAlert(e.Code, e.Channel)}
			groups[k] = r
			keys = append(keys, k)
		}
		r.Count++
		if len(r.Examples) < 3 {
			r.Examples = append(r.Examples, fmt.Sprintf("#%d %s: %s", e.ID, e.SKU, e.Message))
		}
		r.Affected = append(r.Affected, Affected{SKU: e.SKU, Channel: e.Channel, Detail: fmt.Sprintf("exception #%d: %s", e.ID, e.Message)})
	}
	var out []Risk
	for _, k := range keys {
		r := groups[k]
		r.Title = fmt.Sprintf("%s open on %s", plural(r.Count, k.code+" exception"), dash(k.channel))
		r.Detail = "Recorded by accord and not resolved yet: accord exceptions --code " + k.code + " lists them."
		r.score = float64(r.Count)
		out = append(out, *r)
	}
	return out
}
