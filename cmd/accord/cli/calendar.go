package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/calendar"
	"github.com/accordhq/accord/spec/money"
)

func (a *app) calendarCommand() *cobra.Command {
	var from, to, at, format string
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Print the joint promotion calendar: windows, channels, partners, SKU counts, price changes and overlaps",
		Long: `calendar prints the promotion calendar that manufacturer, distributor and
marketplace partners plan against: each promotion's window, channels, partner,
discount and SKU count; the instants at which prices change; and the promotions
that overlap on a channel and SKU, with the one that wins or the conflict.

--format ics writes an iCalendar file a partner can subscribe to.`,
		Args: argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			switch format {
			case "text", "json", "ics":
			default:
				return fmt.Errorf("--format %q: use text, json or ics", format)
			}
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			tz := s.Settings.Timezone
			now, err := a.instant(at, tz)
			if err != nil {
				return err
			}
			var fromT, toT time.Time
			if from != "" {
				if fromT, err = spec.ParseTime(from, tz); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			if to != "" {
				if toT, err = spec.ParseTime(to, tz); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
			}
			if !fromT.IsZero() && !toT.IsZero() && !fromT.Before(toT) {
				return fmt.Errorf("--from %s is not before --to %s", from, to)
			}
			cal := calendar.Build(s, now, fromT, toT)
			switch format {
			case "json":
				return writeCalendarJSON(a.env.Stdout, cal, s.Settings.CurrencyScale)
			case "ics":
				return writeCalendarICS(a.env.Stdout, cal, s.Settings.CurrencyScale)
			}
			return writeCalendarText(a.env.Stdout, cal, tz, s.Settings.CurrencyScale)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "only promotions running at or after this time")
	cmd.Flags().StringVar(&to, "to", "", "only promotions starting before this time")
	cmd.Flags().StringVar(&at, "at", "", "the instant that decides each promotion's status; default now")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or ics")
	return cmd
}

const calTime = "2006-01-02 15:04 MST"

func writeCalendarText(w io.Writer, cal *calendar.Calendar, tz *time.Location, scale int32) error {
	pr := newPrinter(w)
	window := "all promotions"
	switch {
	case !cal.From.IsZero() && !cal.To.IsZero():
		window = fmt.Sprintf("%s to %s", cal.From.In(tz).Format(calTime), cal.To.In(tz).Format(calTime))
	case !cal.From.IsZero():
		window = "from " + cal.From.In(tz).Format(calTime)
	case !cal.To.IsZero():
		window = "until " + cal.To.In(tz).Format(calTime)
	}
	pr.printf("Promotion calendar, %s (%s)\n\n", window, tz)
	if len(cal.Entries) == 0 {
		pr.println("No promotions in this window.")
		writeCampaignsText(pr, cal, tz)
		return pr.err
	}
	t := pr.table()
	t.println("PROMOTION\tSTARTS\tENDS\tCHANNELS\tPARTNER\tSKUS\tDISCOUNT\tPRIORITY\tSTATUS")
	for _, e := range cal.Entries {
		p := e.Promotion
		partner := p.Partner
		if partner == "" {
			partner = "-"
		}
		t.printf("%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", p.Name, p.Starts.In(tz).Format(calTime), p.Ends.In(tz).Format(calTime),
			strings.Join(e.Channels, ","), partner, e.SKUs, p.Discount.Format(scale), p.Priority, e.Status)
	}
	t.flush()
	pr.println("\nPrices change at")
	for _, c := range cal.Changes {
		var parts []string
		if len(c.Starts) > 0 {
			parts = append(parts, "starts "+strings.Join(c.Starts, ", "))
		}
		if len(c.Ends) > 0 {
			parts = append(parts, "ends "+strings.Join(c.Ends, ", "))
		}
		pr.printf("  %s  %s\n", c.At.In(tz).Format(calTime), strings.Join(parts, "; "))
	}
	if len(cal.Overlaps) == 0 {
		pr.println("\nNo overlaps.")
	} else {
		pr.println("\nOverlaps")
	}
	for _, o := range cal.Overlaps {
		outcome := o.Winner + " wins"
		if o.Conflict {
			outcome = "CONFLICT: same priority, neither applies (promotion_conflict)"
		}
		pr.printf("  %s and %s, %s to %s, on %s for %s: %s\n", o.A, o.B, o.From.In(tz).Format(calTime), o.To.In(tz).Format(calTime),
			strings.Join(o.Channels, ","), plural(o.SKUs, "SKU"), outcome)
	}
	writeCampaignsText(pr, cal, tz)
	return pr.err
}

// writeCampaignsText lists the partner campaigns the spec imports, joined
// or not, with their partner, terms and funding.
func writeCampaignsText(pr *printer, cal *calendar.Calendar, tz *time.Location) {
	if len(cal.Campaigns) == 0 {
		return
	}
	pr.println("\nPartner campaigns")
	t := pr.table()
	t.println("CAMPAIGN\tPARTNER\tTHEME\tSTARTS\tENDS\tDISCOUNT\tFUNDING\tSTATUS\tJOINED BY")
	for _, e := range cal.Campaigns {
		d := e.Campaign.Def
		joined := "not joined"
		if len(e.Joined) > 0 {
			joined = strings.Join(e.Joined, ",")
		}
		t.printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Campaign.Name, d.Partner, dashIfEmpty(d.Theme), d.Starts.In(tz).Format(calTime), d.Ends.In(tz).Format(calTime),
			campaignBounds(d), fundingText(d), e.Status, joined)
	}
	t.flush()
}

// fundingText is the share of the discount a partner funds, or "-".
func fundingText(d *spec.CampaignDef) string {
	if !d.Funding.Valid {
		return "-"
	}
	return money.FormatPercent(d.Funding.Decimal)
}

type calendarJSON struct {
	At         string          `json:"at"`
	From       *string         `json:"from"`
	To         *string         `json:"to"`
	Promotions []promotionJSON `json:"promotions"`
	Changes    []changeJSON    `json:"changes"`
	Overlaps   []overlapJSON   `json:"overlaps"`
	Campaigns  []campaignJSON  `json:"campaigns"`
}

type campaignJSON struct {
	Name        string   `json:"name"`
	Partner     string   `json:"partner"`
	Theme       *string  `json:"theme"`
	Source      string   `json:"source"`
	Commit      string   `json:"commit"`
	Starts      string   `json:"starts"`
	Ends        string   `json:"ends"`
	Channels    []string `json:"channel_types"`
	MinDiscount *string  `json:"min_discount"`
	MaxDiscount *string  `json:"max_discount"`
	Funding     *string  `json:"funding"`
	Status      string   `json:"status"`
	Joined      []string `json:"joined_by"`
}

type promotionJSON struct {
	Name     string   `json:"name"`
	Starts   string   `json:"starts"`
	Ends     string   `json:"ends"`
	Channels []string `json:"channels"`
	Partner  *string  `json:"partner"`
	SKUs     int      `json:"skus"`
	Discount string   `json:"discount"`
	Priority int64    `json:"priority"`
	Status   string   `json:"status"`
	Campaign *string  `json:"campaign"`
}

type changeJSON struct {
	At     string   `json:"at"`
	Starts []string `json:"starts"`
	Ends   []string `json:"ends"`
}

type overlapJSON struct {
	A        string   `json:"a"`
	B        string   `json:"b"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Channels []string `json:"channels"`
	SKUs     int      `json:"skus"`
	Conflict bool     `json:"conflict"`
	Winner   *string  `json:"winner"`
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc(t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeCalendarJSON(w io.Writer, cal *calendar.Calendar, scale int32) error {
	out := calendarJSON{At: rfc(cal.Now), From: optTime(cal.From), To: optTime(cal.To),
		Promotions: []promotionJSON{}, Changes: []changeJSON{}, Overlaps: []overlapJSON{}, Campaigns: []campaignJSON{}}
	for _, e := range cal.Entries {
		p := e.Promotion
		pj := promotionJSON{Name: p.Name, Starts: rfc(p.Starts), Ends: rfc(p.Ends), Channels: e.Channels,
			Partner: optString(p.Partner), SKUs: e.SKUs, Discount: p.Discount.Format(scale), Priority: p.Priority, Status: string(e.Status)}
		if p.Campaign != nil {
			pj.Campaign = &p.Campaign.Name
		}
		out.Promotions = append(out.Promotions, pj)
	}
	pct := func(d decimal.NullDecimal) *string {
		if !d.Valid {
			return nil
		}
		s := money.FormatPercent(d.Decimal)
		return &s
	}
	for _, e := range cal.Campaigns {
		c, d := e.Campaign, e.Campaign.Def
		out.Campaigns = append(out.Campaigns, campaignJSON{Name: c.Name, Partner: d.Partner, Theme: optString(d.Theme), Source: c.SourceText, Commit: c.Commit,
			Starts: rfc(d.Starts), Ends: rfc(d.Ends), Channels: orEmpty(d.Channels), MinDiscount: pct(d.MinDiscount), MaxDiscount: pct(d.MaxDiscount),
			Funding: pct(d.Funding), Status: string(e.Status), Joined: orEmpty(e.Joined)})
	}
	for _, c := range cal.Changes {
		out.Changes = append(out.Changes, changeJSON{At: rfc(c.At), Starts: orEmpty(c.Starts), Ends: orEmpty(c.Ends)})
	}
	for _, o := range cal.Overlaps {
		out.Overlaps = append(out.Overlaps, overlapJSON{A: o.A, B: o.B, From: rfc(o.From), To: rfc(o.To), Channels: o.Channels, SKUs: o.SKUs, Conflict: o.Conflict, Winner: optString(o.Winner)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeCalendarICS writes one event per promotion. The event UID is stable
// (the promotion's name), so a subscribed calendar updates in place.
func writeCalendarICS(w io.Writer, cal *calendar.Calendar, scale int32) error {
	c := ics.NewCalendar()
	c.SetMethod(ics.MethodPublish)
	c.SetProductId("-//accord//promotion calendar//EN")
	c.SetXWRCalName("accord promotions")
	for _, e := range cal.Entries {
		p := e.Promotion
		ev := c.AddEvent(p.Name + "@accord")
		ev.SetDtStampTime(cal.Now.UTC())
		ev.SetStartAt(p.Starts.UTC())
		ev.SetEndAt(p.Ends.UTC())
		ev.SetSummary(fmt.Sprintf("%s (%s)", p.Name, p.Discount.Format(scale)))
		desc := fmt.Sprintf("Channels: %s\nSKUs: %d\nDiscount: %s\nPriority: %d", strings.Join(e.Channels, ", "), e.SKUs, p.Discount.Format(scale), p.Priority)
		if p.Partner != "" {
			desc += "\nPartner: " + p.Partner
			ev.AddCategory(p.Partner)
		}
		ev.SetDescription(desc)
	}
	// RFC 5545 section 3.1: content lines end with CRLF.
	return c.SerializeTo(w, ics.WithNewLine("\r\n"))
}
