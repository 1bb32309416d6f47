// Package calendar builds the joint promotion calendar of a spec: the view
// that manufacturer, distributor and marketplace partners plan against. It
// lists each promotion's window, channels, partner and SKU count, the
// instants at which prices change, and the promotions that overlap on a
// channel and SKU (with the one that wins, or a conflict).
package calendar

import (
	"sort"
	"time"

	"github.com/accordhq/accord/spec"
)

// Status is where a promotion stands at the calendar's instant.
type Status string

// The statuses.
const (
	Scheduled Status = "scheduled"
	Active    Status = "active"
	Ended     Status = "ended"
)

// Entry is one promotion on the calendar.
type Entry struct {
	Promotion *spec.Promotion
	// Channels is the promotion's channels, every channel when it names none.
	Channels []string
	SKUs     int
	Status   Status
}

// Change is an instant at which prices change.
type Change struct {
	At     time.Time
	Starts []string
	Ends   []string
}

// Overlap is two promotions that cover one (channel, SKU) at once.
type Overlap struct {
	A, B     string
	From, To time.Time
	Channels []string
	SKUs     int
	// Conflict is set when both have the same priority: neither applies
	// (promotion_conflict). Otherwise Winner is the higher priority.
	Conflict bool
	Winner   string
}

// CampaignEntry is a partner campaign the spec imports, joined or not:
// the joint calendar the partners agreed on, beside the seller's own.
type CampaignEntry struct {
	Campaign *spec.Campaign
	// Joined lists the promotions that opt in to it (none: not joined).
	Joined []string
	Status Status
}

// Calendar is the promotion calendar over a window.
type Calendar struct {
	Now       time.Time
	From, To  time.Time // zero: unbounded
	Entries   []Entry
	Changes   []Change
	Overlaps  []Overlap
	Campaigns []CampaignEntry
}

// status is where a window [starts, ends) stands at now.
func status(now, starts, ends time.Time) Status {
	switch {
	case now.Before(starts):
		return Scheduled
	case now.Before(ends):
		return Active
	}
	return Ended
}

// Build returns the calendar of the promotions whose window meets
// [from, to). A zero from or to leaves that side open.
func Build(s *spec.Spec, now, from, to time.Time) *Calendar {
	cal := &Calendar{Now: now, From: from, To: to}
	var promos []*spec.Promotion
	for _, p := range s.Promotions {
		if (!to.IsZero() && !p.Starts.Before(to)) || (!from.IsZero() && !p.Ends.After(from)) {
			continue
		}
		promos = append(promos, p)
	}
	sort.SliceStable(promos, func(i, j int) bool {
		if !promos[i].Starts.Equal(promos[j].Starts) {
			return promos[i].Starts.Before(promos[j].Starts)
		}
		return promos[i].Name < promos[j].Name
	})
	all := make([]string, len(s.Channels))
	for i, ch := range s.Channels {
		all[i] = ch.Name
	}
	channelsOf := func(p *spec.Promotion) []string {
		if p.Channels == nil {
			return all
		}
		out := append([]string(nil), p.Channels...)
		sort.Strings(out)
		return out
	}
	changes := map[int64]*Change{}
	change := func(t time.Time) *Change {
		c, ok := changes[t.UnixNano()]
		if !ok {
			c = &Change{At: t}
			changes[t.UnixNano()] = c
		}
		return c
	}
	inWindow := func(t time.Time) bool {
		return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
	}
	for _, p := range promos {
		e := Entry{Promotion: p, Channels: channelsOf(p), SKUs: p.CoverCount, Status: status(now, p.Starts, p.Ends)}
		cal.Entries = append(cal.Entries, e)
		if inWindow(p.Starts) {
			c := change(p.Starts)
			c.Starts = append(c.Starts, p.Name)
		}
		if inWindow(p.Ends) {
			c := change(p.Ends)
			c.Ends = append(c.Ends, p.Name)
		}
	}
	for _, c := range changes {
		cal.Changes = append(cal.Changes, *c)
	}
	sort.Slice(cal.Changes, func(i, j int) bool { return cal.Changes[i].At.Before(cal.Changes[j].At) })
	for i, a := range promos {
		for _, b := range promos[i+1:] {
			if o, ok := overlap(a, b, channelsOf(a), channelsOf(b)); ok {
				cal.Overlaps = append(cal.Overlaps, o)
			}
		}
	}
	for _, c := range s.Campaigns {
		d := c.Def
		if (!to.IsZero() && !d.Starts.Before(to)) || (!from.IsZero() && !d.Ends.After(from)) {
			continue
		}
		e := CampaignEntry{Campaign: c, Status: status(now, d.Starts, d.Ends)}
		for _, p := range s.Promotions {
			if p.Campaign == c {
				e.Joined = append(e.Joined, p.Name)
			}
		}
		cal.Campaigns = append(cal.Campaigns, e)
	}
	sort.SliceStable(cal.Campaigns, func(i, j int) bool {
		a, b := cal.Campaigns[i].Campaign, cal.Campaigns[j].Campaign
		if !a.Def.Starts.Equal(b.Def.Starts) {
			return a.Def.Starts.Before(b.Def.Starts)
		}
		return a.Name < b.Name
	})
	return cal
}

func overlap(a, b *spec.Promotion, chA, chB []string) (Overlap, bool) {
	from, to := a.Starts, a.Ends
	if b.Starts.After(from) {
		from = b.Starts
	}
	if b.Ends.Before(to) {
		to = b.Ends
	}
	if !from.Before(to) {
		return Overlap{}, false
	}
	var chans []string
	for _, c := range chA {
		for _, d := range chB {
			if c == d {
				chans = append(chans, c)
			}
		}
	}
	if len(chans) == 0 {
		return Overlap{}, false
	}
	skus := 0
	for i := range a.Covers {
		if a.Covers[i] && b.Covers[i] {
			skus++
		}
	}
	if skus == 0 {
		return Overlap{}, false
	}
	o := Overlap{A: a.Name, B: b.Name, From: from, To: to, Channels: chans, SKUs: skus}
	switch {
	case a.Priority == b.Priority:
		o.Conflict = true
	case a.Priority > b.Priority:
		o.Winner = a.Name
	default:
		o.Winner = b.Name
	}
	return o, true
}
