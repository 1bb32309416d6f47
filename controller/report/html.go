package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

//go:embed page.html.tmpl
var pageTemplate string

// WriteHTML writes the report as one self-contained page: no script, font
// or style from elsewhere, so it opens offline and prints. Its pictures
// are SVG drawn here, on the server: per pool, a bar of the stock on hand
// and each channel's share; per promoted SKU, a step chart of its price on
// every channel over the window, with its floor and parity limit.
func WriteHTML(w io.Writer, r *Report) error {
	t, err := template.New("page").Funcs(template.FuncMap{
		"when": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				return t.In(r.Location()).Format(pageTime)
			case *time.Time:
				if t != nil {
					return t.In(r.Location()).Format(pageTime)
				}
			}
			return "-"
		},
		"duration": Duration,
		"optInt":   optInt,
		"optStr":   optStr,
		"yesNo":    yesNo,
		"join":     strings.Join,
		"joinOr":   joinOr,
		"lowStock": lowStockText,
		"orders":   ordersText,
		"example":  exampleText,
		"byChan":   func(f FieldRow) string { return fieldChannelsText(f, "") },
		"plural":   plural,
		"kindWord": func(k string) string { return strings.ReplaceAll(k, "_", " ") },
		"after":    func(t *time.Time) bool { return t != nil && t.After(r.At) },
	}).Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report page template: %w", err)
	}
	return t.Execute(w, pageData{Report: r, Interval: r.intervalWords(), Pools: poolBars(r), Charts: stepCharts(r), Summary: summary(r)})
}

type pageData struct {
	*Report
	Interval string
	Pools    []poolBar
	Charts   []stepChart
	Summary  []summaryItem
}

type summaryItem struct {
	Label, Value, Class string
}

func summary(r *Report) []summaryItem {
	n := map[string]int{}
	for _, k := range r.Risks {
		n[k.Severity]++
	}
	var units int64
	for _, p := range r.Inventory.Pools {
		units += p.OnHand
	}
	return []summaryItem{
		{"channels", fmt.Sprint(len(r.Inventory.Channels)), ""},
		{"units on hand", fmt.Sprint(units), ""},
		{"promotions in the window", fmt.Sprint(len(r.Pricing.Promotions)), ""},
		{"high risks", fmt.Sprint(n[High]), "high"},
		{"medium risks", fmt.Sprint(n[Medium]), "medium"},
		{"low risks", fmt.Sprint(n[Low]), "low"},
	}
}

// palette colours channels in the pictures, in the spec's channel order;
// each is readable on white and in grey on paper.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

func colour(i int) string { return palette[i%len(palette)] }

// bar geometry.
const (
	barWidth  = 640.0
	barLeft   = 120.0
	barHeight = 22.0
	barGap    = 10.0
)

type poolBar struct {
	Name          string
	Width, Height float64
	LegendY       float64
	Total         int64
	Segments      []segment
	Rows          []barRow
	Legend        []legendItem
}

type barRow struct {
	Label    string
	Y        float64
	Segments []segment
}

type segment struct {
	X, Y, W, H float64
	Fill       string
	Title      string
	Label      string
	LabelX     float64
}

type legendItem struct {
	X     float64
	Fill  string
	Label string
}

// poolBars draws each pool: the stock on hand split into safety stock,
// reserves and the stock every channel shares; then, per channel, the
// units it lists and those it does not, on the same scale.
func poolBars(r *Report) []poolBar {
	var out []poolBar
	for _, p := range r.Inventory.Pools {
		b := poolBar{Name: p.Name, Width: barLeft + barWidth + 20, Total: p.OnHand}
		scale := 0.0
		if p.OnHand > 0 {
			scale = barWidth / float64(p.OnHand)
		}
		shared := p.OnHand - p.Safety - p.Reserved
		y := 0.0
		x := barLeft
		for _, s := range []struct {
			units int64
			fill  string
			what  string
		}{{p.Safety, "#9e9e9e", "safety stock"}, {p.Reserved, "#ffb74d", "reserved for one channel"}, {shared, "#4caf50", "shared by the pool's channels"}} {
			if s.units <= 0 {
				continue
			}
			w := float64(s.units) * scale
			b.Segments = append(b.Segments, segment{X: x, Y: y, W: w, H: barHeight, Fill: s.fill, Title: fmt.Sprintf("%d units: %s", s.units, s.what),
				Label: labelFits(fmt.Sprint(s.units), w), LabelX: x + w/2})
			x += w
		}
		b.Legend = []legendItem{{barLeft, "#9e9e9e", "safety stock"}, {barLeft + 130, "#ffb74d", "reserved"}, {barLeft + 230, "#4caf50", "shared"}, {barLeft + 330, "url(#hatch)", "withheld from the channel"}}
		y += barHeight + barGap
		chanIdx := map[string]int{}
		for i, c := range r.Inventory.Channels {
			chanIdx[c.Channel] = i
		}
		for _, a := range p.Allocation {
			row := barRow{Label: a.Channel, Y: y}
			x := barLeft
			w := float64(a.Listed) * scale
			row.Segments = append(row.Segments, segment{X: x, Y: y, W: w, H: barHeight, Fill: colour(chanIdx[a.Channel]),
				Title: fmt.Sprintf("%s lists %d units", a.Channel, a.Listed), Label: labelFits(fmt.Sprint(a.Listed), w), LabelX: x + w/2})
			x += w
			w2 := float64(a.Withheld) * scale
			row.Segments = append(row.Segments, segment{X: x, Y: y, W: w2, H: barHeight, Fill: "url(#hatch)",
				Title: fmt.Sprintf("%d available units %s does not list (buffer, max, throttle, other channels' reserves)", a.Withheld, a.Channel)})
			b.Rows = append(b.Rows, row)
			y += barHeight + barGap
		}
		b.LegendY = y + 4
		b.Height = y + 24
		out = append(out, b)
	}
	return out
}

// labelFits returns the label when it fits in a segment w wide.
func labelFits(s string, w float64) string {
	if float64(len(s))*7+6 > w {
		return ""
	}
	return s
}

// chart geometry.
const (
	chartWidth  = 720.0
	chartHeight = 260.0
	chartLeft   = 64.0
	chartRight  = 16.0
	chartTop    = 12.0
	chartBottom = 36.0
)

type stepChart struct {
	Title         string
	Promotion     string
	Width, Height float64
	Lines         []chartLine
	XTicks        []tick
	YTicks        []tick
	PlotX, PlotY  float64
	PlotW, PlotH  float64
	Legend        []legendLine
}

type chartLine struct {
	Points string
	Stroke string
	Dash   string
	Width  float64
	Title  string
}

type tick struct {
	X, Y  float64
	Label string
}

type legendLine struct {
	X, Y   float64
	Stroke string
	Label  string
}

// stepCharts draws each price chart: a step line per channel for the
// price, dashed for its floor, dotted for its parity limit.
func stepCharts(r *Report) []stepChart {
	var out []stepChart
	x0, x1 := r.At, r.Until
	span := x1.Sub(x0).Seconds()
	chanIdx := map[string]int{}
	for i, c := range r.Inventory.Channels {
		chanIdx[c.Channel] = i
	}
	for _, c := range r.Pricing.Charts {
		sc := stepChart{Title: fmt.Sprintf("%s (%s)", c.SKU, c.Title), Promotion: c.Promotion, Width: chartWidth, Height: chartHeight,
			PlotX: chartLeft, PlotY: chartTop, PlotW: chartWidth - chartLeft - chartRight, PlotH: chartHeight - chartTop - chartBottom}
		// The price range, from every value drawn.
		var lo, hi decimal.Decimal
		first := true
		see := func(s *string) {
			if s == nil {
				return
			}
			v, err := decimal.NewFromString(*s)
			if err != nil {
				return
			}
			if first || v.LessThan(lo) {
				lo = v
			}
			if first || v.GreaterThan(hi) {
				hi = v
			}
			first = false
		}
		for _, s := range c.Series {
			for _, p := range s.Points {
				see(p.Price)
				see(p.Floor)
				see(p.Limit)
			}
		}
		if first {
			continue
		}
		pad := hi.Sub(lo).Mul(decimal.NewFromFloat(0.08))
		if pad.IsZero() {
			pad = hi.Mul(decimal.NewFromFloat(0.05)).Add(decimal.NewFromInt(1))
		}
		lo, hi = lo.Sub(pad), hi.Add(pad)
		if lo.IsNegative() {
			lo = decimal.Zero
		}
		yRange := hi.Sub(lo).InexactFloat64()
		xOf := func(t time.Time) float64 {
			return sc.PlotX + t.Sub(x0).Seconds()/span*sc.PlotW
		}
		yOf := func(v decimal.Decimal) float64 {
			return sc.PlotY + sc.PlotH - v.Sub(lo).InexactFloat64()/yRange*sc.PlotH
		}
		for _, s := range c.Series {
			stroke := colour(chanIdx[s.Channel])
			for _, line := range []struct {
				pick  func(PricePoint) *string
				dash  string
				width float64
				what  string
			}{
				{func(p PricePoint) *string { return p.Price }, "", 2.2, "price"},
				{func(p PricePoint) *string { return p.Floor }, "6 4", 1.2, "floor"},
				{func(p PricePoint) *string { return p.Limit }, "2 3", 1.2, "parity limit"},
			} {
				pts := steps(s.Points, line.pick, x1, xOf, yOf)
				if pts == "" {
					continue
				}
				sc.Lines = append(sc.Lines, chartLine{Points: pts, Stroke: stroke, Dash: line.dash, Width: line.width, Title: s.Channel + " " + line.what})
			}
		}
		// Ticks: each instant a price may change, and four prices.
		seen := map[int64]bool{}
		for _, s := range c.Series {
			for _, p := range s.Points {
				if !seen[p.At.Unix()] {
					seen[p.At.Unix()] = true
					sc.XTicks = append(sc.XTicks, tick{X: xOf(p.At), Y: sc.PlotY + sc.PlotH + 14, Label: p.At.In(r.Location()).Format("Jan 2")})
				}
			}
		}
		sort.Slice(sc.XTicks, func(i, j int) bool { return sc.XTicks[i].X < sc.XTicks[j].X })
		sc.XTicks = spaced(sc.XTicks, 44)
		for k := 0; k <= 4; k++ {
			v := lo.Add(hi.Sub(lo).Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(4)))
			sc.YTicks = append(sc.YTicks, tick{X: sc.PlotX - 6, Y: yOf(v), Label: v.StringFixed(2)})
		}
		for i, s := range c.Series {
			sc.Legend = append(sc.Legend, legendLine{X: sc.PlotX + float64(i%4)*170, Y: float64(i/4) * 18, Stroke: colour(chanIdx[s.Channel]), Label: s.Channel + " (" + s.Currency + ")"})
		}
		out = append(out, sc)
	}
	return out
}

// steps is a polyline that holds each value until the next point, and the
// last until the end of the window; a run without a value breaks nothing,
// it is simply not drawn.
func steps(points []PricePoint, pick func(PricePoint) *string, end time.Time, xOf func(time.Time) float64, yOf func(decimal.Decimal) float64) string {
	var b strings.Builder
	drawn := false
	for i, p := range points {
		s := pick(p)
		if s == nil {
			continue
		}
		v, err := decimal.NewFromString(*s)
		if err != nil {
			continue
		}
		next := end
		if i+1 < len(points) {
			next = points[i+1].At
		}
		y := yOf(v)
		if drawn {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f", xOf(p.At), y, xOf(next), y)
		drawn = true
	}
	return b.String()
}

// spaced drops ticks closer than gap to the one before.
func spaced(ts []tick, gap float64) []tick {
	var out []tick
	for _, t := range ts {
		if len(out) > 0 && t.X-out[len(out)-1].X < gap {
			continue
		}
		out = append(out, t)
	}
	return out
}
