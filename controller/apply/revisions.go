package apply

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
)

// Revisions is what apply needs of the store for a channel that allows a
// listing only so many revisions a day (adapters.RevisionLimited): what was
// sent to its listings today, and a record of each revision before it is
// sent.
type Revisions interface {
	RevisionsOn(ctx context.Context, channel, day string, skus []string) (map[string]store.RevisionDay, error)
	SpendRevisions(ctx context.Context, channel, day, keepFrom string, revs []store.Revision) ([]int64, error)
	RefundRevisions(ctx context.Context, channel, day string, spent []store.Spent) error
}

// spentRevision is the revision an item's last attempt was counted as.
type spentRevision struct {
	day string
	seq int64
}

// KindHeld is a change not sent because its listing's revisions for the
// day would run out (the channel's daily limit), or because its value
// moved back and forth too often today: it is held until the channel's day
// ends, and the channel keeps the value it has.
const KindHeld = "held"

// maxReversals is how often a price or a field may turn back within a day
// before it is held: a promotion that starts and ends the same day turns
// back once, a correction once more; a value that keeps flapping is held
// where it is, so that it cannot burn the listing's daily revisions.
const maxReversals = 2

// quantityReserve is the share of a listing's daily revisions (one in ten)
// kept for quantities, which follow sales: prices and fields stop short of
// it, so that an oversell can always be prevented.
const quantityReserve = 10

// revisionGate holds what a channel's daily revision limit allows.
type revisionGate struct {
	perDay int
	zone   *time.Location
}

// gate decides, for the items about to be sent to a revision-limited
// channel, which may go: each change costs one revision of its listing
// (conservatively: the adapter may combine several in one). Those that may
// not are failed as held; the others are recorded as spent before they are
// sent. It returns the items to send.
func (w *worker) gate(ctx context.Context, items []*item) ([]*item, error) {
	if w.revs == nil || w.o.Revisions == nil {
		return items, nil
	}
	now := w.o.now()
	local := now.In(w.revs.zone)
	day := local.Format(time.DateOnly)
	keepFrom := local.AddDate(0, 0, -2).Format(time.DateOnly)
	skus := make([]string, 0, len(items))
	for _, it := range items {
		skus = append(skus, it.c.SKU)
	}
	today, err := w.o.Revisions.RevisionsOn(ctx, w.name, day, dedupe(skus))
	if err != nil {
		err = fmt.Errorf("apply %s: revisions: %w", w.name, err)
		w.stop(items, err)
		return nil, err
	}
	ends := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, w.revs.zone)
	var send, counted []*item
	var spent []store.Revision
	for _, it := range items {
		c := &it.c
		if c.Kind == adapters.KindCreate {
			// Listing a product is not a revision of a listing.
			send = append(send, it)
			continue
		}
		d := today[c.SKU]
		rev := store.Revision{SKU: c.SKU, Field: c.Name(), From: c.From, To: c.To}
		if why := w.revs.holds(d, rev, ends); why != "" {
			w.fail([]*item{it}, KindHeld, &adapters.RejectedError{Reason: why})
			continue
		}
		d.Moves = append(d.Moves, rev)
		today[c.SKU] = d
		spent = append(spent, rev)
		counted = append(counted, it)
		send = append(send, it)
	}
	seqs, err := w.o.Revisions.SpendRevisions(ctx, w.name, day, keepFrom, spent)
	if err != nil {
		err = fmt.Errorf("apply %s: revisions: %w", w.name, err)
		w.stop(send, err)
		return nil, err
	}
	for i, it := range counted {
		it.rev = &spentRevision{day: day, seq: seqs[i]}
	}
	return send, nil
}

// refund gives back the revisions of the items whose change the channel
// certainly did not take (outcome NotLanded: refused, throttled, failed
// before it took it, a compare-and-set conflict), so that only what may
// have reached the listing counts against its day. A refund that cannot
// be recorded leaves the count high, which holds changes early but never
// sends one past the limit.
func (w *worker) refund(ctx context.Context, items []*item, outcome []store.Outcome) {
	byDay := map[string][]store.Spent{}
	for i, it := range items {
		if it.rev == nil {
			continue
		}
		if outcome[i] == store.NotLanded {
			byDay[it.rev.day] = append(byDay[it.rev.day], store.Spent{SKU: it.c.SKU, Seq: it.rev.seq})
		}
		it.rev = nil
	}
	for day, spent := range byDay {
		if err := w.o.Revisions.RefundRevisions(context.WithoutCancel(ctx), w.name, day, spent); err != nil {
			w.o.Log.Warn("revisions not refunded: the listings' count for the day stays high", slog.String("channel", w.name), slog.Any("err", err))
		}
	}
}

// holds says why rev may not be sent given what the listing had today
// (d), or "" when it may.
func (g *revisionGate) holds(d store.RevisionDay, rev store.Revision, ends time.Time) string {
	until := fmt.Sprintf("held until the channel's day ends (%s)", ends.Format("2006-01-02 15:04 MST"))
	n := d.Count()
	if n >= g.perDay {
		return fmt.Sprintf("the listing had its %d revisions allowed today; %s", g.perDay, until)
	}
	if rev.Field == adapters.FieldQuantity {
		return ""
	}
	if limit := g.perDay - g.perDay/quantityReserve; n >= limit {
		return fmt.Sprintf("the listing had %d of its %d revisions allowed today, and the rest are kept for quantities; %s", n, g.perDay, until)
	}
	var chain []store.Revision
	for _, m := range d.Moves {
		if m.Field == rev.Field {
			chain = append(chain, m)
		}
	}
	chain = append(chain, rev)
	if r := reversals(chain); r > maxReversals {
		return fmt.Sprintf("%s moved back and forth %d times today (%s): held at %s so that it does not use up the listing's %d revisions a day; %s",
			rev.Field, r, path(chain), show(rev.From), g.perDay, until)
	}
	return ""
}

// reversals counts how often a field's moves turn back: for amounts, a
// rise after a fall or a fall after a rise; for other values, a move to a
// value the field had earlier in the chain.
func reversals(chain []store.Revision) int {
	n, last := 0, 0
	for i, m := range chain {
		from, errF := decimal.NewFromString(m.From.Text)
		to, errT := decimal.NewFromString(m.To.Text)
		if m.From.Set && m.To.Set && errF == nil && errT == nil {
			dir := to.Cmp(from)
			if dir != 0 && last != 0 && dir != last {
				n++
			}
			if dir != 0 {
				last = dir
			}
			continue
		}
		last = 0
		for _, earlier := range chain[:i] {
			if sameValue(earlier.From, m.To) || (sameValue(earlier.To, m.To) && !sameValue(m.From, m.To)) {
				n++
				break
			}
		}
	}
	return n
}

func sameValue(a, b adapters.Value) bool { return a.Set == b.Set && a.Text == b.Text }

// path writes a chain of moves as "12.00 → 13.00 → 12.00", the middle
// elided past eight values.
func path(chain []store.Revision) string {
	vals := []string{show(chain[0].From)}
	for _, m := range chain {
		vals = append(vals, show(m.To))
	}
	if len(vals) > 8 {
		vals = append(append(vals[:3:3], "…"), vals[len(vals)-4:]...)
	}
	return strings.Join(vals, " → ")
}

func show(v adapters.Value) string {
	if !v.Set {
		return "(none)"
	}
	return v.Text
}
