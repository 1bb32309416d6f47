package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// pageTime is how the page shows an instant, in the spec's time zone.
const pageTime = "2006-01-02 15:04 MST"

// WriteMarkdown writes the report as Markdown: the four sections as
// tables, for a wiki page or a pull request.
func WriteMarkdown(w io.Writer, r *Report) error {
	m := &mdWriter{w: w}
	loc := r.Location()
	m.printf("# Multichannel sync playbook\n\n")
	m.printf("As of %s, looking %s ahead (to %s); channels are brought back in line every %s. Spec revision `%s`.\n\n",
		r.At.In(loc).Format(pageTime), Duration(r.Until.Sub(r.At)), r.Until.In(loc).Format(pageTime), r.intervalWords(), r.Revision)

	m.printf("## 1. Inventory sync matrix\n\n")
	m.row("Channel", "Marketplace", "Pool", "Buffer", "Reserve", "Max", "Low stock", "At the safety line", "Compare-and-set", "Orders/day", "Units listed", "SKUs listed", "At zero", "Throttled")
	m.sep(14)
	for _, c := range r.Inventory.Channels {
		pool := "-"
		if c.Pool != nil {
			pool = *c.Pool
			if c.Shared {
				pool += " (shared)"
			}
		}
		m.row(c.Channel, c.Marketplace, pool, c.Buffer, fmt.Sprint(c.Reserve), optInt(c.Max), lowStockText(c), c.SafetyLine, yesNo(c.CompareAndSet),
			ordersText(c), fmt.Sprint(c.Units), fmt.Sprint(c.Listed), fmt.Sprint(c.AtZero), fmt.Sprint(c.Throttled))
	}
	m.printf("\n")
	for _, p := range r.Inventory.Pools {
		m.printf("**Pool %s** (stock from %s): %d units on hand over %s; safety stock holds back %d, reserves ring-fence %d; %s at zero, %s below the sum of their buffers.\n\n",
			p.Name, p.Source, p.OnHand, plural(p.SKUs, "SKU"), p.Safety, p.Reserved, plural(p.AtZero, "SKU"), plural(p.BelowBuffers, "SKU"))
		m.row("Channel", "Units listed", "Units withheld")
		m.sep(3)
		for _, a := range p.Allocation {
			m.row(a.Channel, fmt.Sprint(a.Listed), fmt.Sprint(a.Withheld))
		}
		m.printf("\n")
	}

	m.printf("## 2. Pricing matrix\n\n")
	if len(r.Pricing.Matrices) > 0 {
		m.row("Matrix", "SKUs", "Anchor", "Rounding", "MAP floor", "Min margin", "Overrides")
		m.sep(7)
		for _, x := range r.Pricing.Matrices {
			m.row(x.Name, fmt.Sprint(x.SKUs), optStr(x.Anchor), x.Rounding, yesNo(x.MAPFloor), optStr(x.MinMargin), fmt.Sprint(x.Overrides))
		}
		m.printf("\n")
	}
	m.row("Channel", "Currency", "FX rate", "Adjust", "Rounding", "Max deviation", "Floors", "Parity")
	m.sep(8)
	for _, c := range r.Pricing.Channels {
		m.row(c.Channel, c.Currency, c.FXRate, joinOr(c.Adjust), joinOr(c.Rounding), joinOr(c.MaxDeviation), c.Floors, joinOr(c.Parity))
	}
	m.printf("\n")
	if len(r.Pricing.Parities) > 0 {
		m.row("Parity rule", "Channel", "Against", "Max gap", "On violation")
		m.sep(5)
		for _, p := range r.Pricing.Parities {
			m.row(p.Name, p.Channel, strings.Join(p.Against, ", "), p.MaxGap, p.OnViolation)
		}
		m.printf("\n")
	}
	m.printf("### Promotions in the window\n\n")
	if len(r.Pricing.Promotions) == 0 {
		m.printf("No promotion runs in the window.\n\n")
	}
	for _, p := range r.Pricing.Promotions {
		m.printf("**%s** (%s): %s on %s, %s to %s", p.Name, p.Status, p.Discount, plural(p.SKUs, "SKU"), p.Starts.In(loc).Format(pageTime), p.Ends.In(loc).Format(pageTime))
		if p.Partner != nil {
			m.printf(", with %s", *p.Partner)
			if p.Funding != nil {
				m.printf(" funding %s", *p.Funding)
			}
		}
		if p.Campaign != nil {
			m.printf(" (campaign %s)", *p.Campaign)
		}
		m.printf(".\n\n")
		m.row("Channel", "Runs here", "Priced by it", "Moved by parity", "Example")
		m.sep(5)
		for _, c := range p.Channels {
			m.row(c.Channel, yesNo(c.On), fmt.Sprint(c.Priced), fmt.Sprint(c.Moved), exampleText(c.Example))
		}
		if len(p.Findings) > 0 {
			var parts []string
			for _, f := range p.Findings {
				parts = append(parts, fmt.Sprintf("%d %s (%s)", f.Count, f.Code, f.Severity))
			}
			m.printf("\nFindings from %s: %s.\n", p.From.In(loc).Format(pageTime), strings.Join(parts, ", "))
		}
		m.printf("\n")
	}
	for _, c := range r.Pricing.Channels {
		if c.Policy != "" {
			m.printf("- **%s (%s)**: %s\n", c.Marketplace, c.Channel, c.Policy)
		}
	}
	m.printf("\n## 3. Listing content playbook\n\n")
	if len(r.Content.Fields) == 0 {
		m.printf("The spec has no listing block: accord manages no listing fields.\n\n")
	} else {
		m.row("Field", "Same everywhere", "Must match", "Template", "By channel")
		m.sep(5)
		for _, f := range r.Content.Fields {
			m.row(f.Field, yesNo(f.Same), yesNo(f.Shared), code(f.Template), fieldChannelsText(f, "`"))
		}
		m.printf("\n")
	}
	if len(r.Content.Cuts) > 0 {
		m.row("Channel", "Field", "Cut", "Over the limit", "Examples")
		m.sep(5)
		for _, c := range r.Content.Cuts {
			m.row(c.Channel, c.Field, fmt.Sprint(c.Truncated), fmt.Sprint(c.TooLong), strings.Join(c.Examples, "; "))
		}
		m.printf("\n")
	}
	m.printf("How a change is pushed:\n\n")
	for i, s := range r.Content.PushOrder {
		m.printf("%d. %s\n", i+1, s)
	}

	m.printf("\n## 4. Risk checklist\n\n")
	if len(r.Risks) == 0 {
		m.printf("Nothing found.\n")
	}
	for _, k := range r.Risks {
		m.printf("%d. **%s** (%s, %s). %s", k.Rank, k.Title, k.Severity, strings.ReplaceAll(k.Kind, "_", " "), k.Detail)
		if k.First != nil && k.First.After(r.At) {
			m.printf(" From %s.", k.First.In(loc).Format(pageTime))
		}
		if len(k.Examples) > 0 {
			m.printf(" For example %s.", strings.Join(k.Examples, "; "))
		}
		m.printf(" Alert: %s.\n", alertText(k.Alert))
	}
	return m.err
}

// intervalWords is the sync interval in words.
func (r *Report) intervalWords() string {
	d, err := time.ParseDuration(r.Interval)
	if err != nil {
		return r.Interval
	}
	return Duration(d)
}

type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

func (m *mdWriter) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
	}
	m.printf("| %s |\n", strings.Join(cells, " | "))
}

func (m *mdWriter) sep(n int) { m.printf("|%s\n", strings.Repeat("---|", n)) }

func optInt(v *int64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

func optStr(v *string) string {
	if v == nil {
		return "-"
	}
	return *v
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func joinOr(list []string) string {
	if len(list) == 0 {
		return "-"
	}
	return strings.Join(list, "; ")
}

func code(s *string) string {
	if s == nil {
		return "-"
	}
	return "`" + *s + "`"
}

func lowStockText(c InventoryChannel) string {
	if c.LowStock == nil {
		return "-"
	}
	if c.KeepsListing {
		return fmt.Sprintf("under %d: keeps listing", *c.LowStock)
	}
	return fmt.Sprintf("under %d: stops", *c.LowStock)
}

func ordersText(c InventoryChannel) string {
	if c.OrdersPerDay == nil {
		return "unknown"
	}
	if c.OrdersFrom == "audit" {
		return *c.OrdersPerDay + " (audit)"
	}
	return *c.OrdersPerDay
}

func exampleText(e *PriceExample) string {
	if e == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s → %s", e.SKU, e.Before, e.During)
}

// fieldChannelsText lists each channel's own rules for a field, templates
// between quote marks.
func fieldChannelsText(f FieldRow, quote string) string {
	var parts []string
	for _, c := range f.Channels {
		var bits []string
		if c.Template != nil {
			bits = append(bits, quote+*c.Template+quote)
		}
		if c.MaxLength != nil {
			cut := "error over it"
			if c.Truncate {
				cut = "cut"
			}
			bits = append(bits, fmt.Sprintf("max %d (%s)", *c.MaxLength, cut))
		}
		if c.MarketplaceLimit != nil && (c.MaxLength == nil || *c.MaxLength > *c.MarketplaceLimit) {
			bits = append(bits, fmt.Sprintf("marketplace allows %d", *c.MarketplaceLimit))
		}
		if len(bits) > 0 {
			parts = append(parts, c.Channel+": "+strings.Join(bits, ", "))
		}
	}
	return joinOr(parts)
}

func alertText(a Alert) string {
	var parts []string
	if a.Exception != "" {
		parts = append(parts, "exception `"+a.Exception+"`")
	}
	if a.Finding != "" {
		parts = append(parts, "finding `"+a.Finding+"`")
	}
	return strings.Join(parts, ", ") + "; metric `" + a.Metric + "`"
}
