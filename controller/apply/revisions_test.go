package apply

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
)

// chainOf makes a chain of moves of field through the values given.
func chainOf(field string, vals ...string) []store.Revision {
	var out []store.Revision
	for i := 1; i < len(vals); i++ {
		from, to := v(vals[i-1]), v(vals[i])
		if vals[i-1] == "-" {
			from = adapters.Value{}
		}
		if vals[i] == "-" {
			to = adapters.Value{}
		}
		out = append(out, store.Revision{SKU: "A", Field: field, From: from, To: to})
	}
	return out
}

func TestReversals(t *testing.T) {
	cases := []struct {
		name  string
		chain []store.Revision
		want  int
	}{
		{"one move", chainOf("price", "10", "11"), 0},
		{"climbing", chainOf("price", "10", "11", "12", "13"), 0},
		{"sale on and off", chainOf("price", "10", "8", "10"), 1},
		{"flapping", chainOf("price", "10", "11", "10", "11", "10"), 3},
		{"the same value again is no turn", chainOf("price", "10", "11", "11", "12"), 0},
		{"down, up, down", chainOf("price", "10", "9", "9.5", "9"), 2},
		{"title edited forward", chainOf("title", "a", "b", "c"), 0},
		{"title back", chainOf("title", "a", "b", "a"), 1},
		{"title flapping", chainOf("title", "a", "b", "a", "b", "a"), 3},
		{"removed and set again", chainOf("compare_at", "12", "-", "12"), 1},
	}
	for _, c := range cases {
		if got := reversals(c.chain); got != c.want {
			t.Errorf("%s: %d reversals, want %d", c.name, got, c.want)
		}
	}
}

func TestHolds(t *testing.T) {
	g := &revisionGate{perDay: 250, zone: time.UTC}
	ends := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	day := func(n int, extra ...store.Revision) store.RevisionDay {
		var d store.RevisionDay
		for i := range n {
			d.Moves = append(d.Moves, store.Revision{SKU: "A", Field: "quantity", From: v("9"), To: v(string(rune('0' + i%10)))})
		}
		d.Moves = append(d.Moves, extra...)
		return d
	}
	price := store.Revision{SKU: "A", Field: "price", From: v("10"), To: v("11")}
	qty := store.Revision{SKU: "A", Field: "quantity", From: v("5"), To: v("4")}
	cases := []struct {
		name string
		d    store.RevisionDay
		rev  store.Revision
		want string // "" goes; else a part of the reason
	}{
		{"first of the day", day(0), price, ""},
		{"price below the reserve", day(224), price, ""},
		{"price at the reserve", day(225), price, "kept for quantities"},
		{"quantity in the reserve", day(249), qty, ""},
		{"quantity past the limit", day(250), qty, "its 250 revisions allowed today"},
		{"price turned twice goes", day(0, chainOf("price", "11", "10", "11")...), store.Revision{SKU: "A", Field: "price", From: v("11"), To: v("10")}, ""},
		{"price turned a third time", day(0, chainOf("price", "10", "11", "10", "11")...), store.Revision{SKU: "A", Field: "price", From: v("11"), To: v("10")}, "moved back and forth 3 times"},
		{"quantities never held for turning", day(0, chainOf("quantity", "5", "4", "5", "4", "5")...), qty, ""},
		{"another field's turns do not count", day(0, chainOf("title", "a", "b", "a", "b", "a")...), price, ""},
	}
	for _, c := range cases {
		got := g.holds(c.d, c.rev, ends)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// limitedChannel is a fake channel that allows a listing 4 revisions a
// day.
type limitedChannel struct{ *fakeChannel }

func (limitedChannel) RevisionLimit() (int, *time.Location) { return 4, time.UTC }

// Revisions of changes the channel certainly did not take (a refusal, a
// throttled or failed attempt) are given back; one whose outcome is
// unknown (a timeout) still counts, as does one that landed; a held change
// is never sent.
func TestRevisionsRefunded(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, t.TempDir()+"/state.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s := loadSpec(t)
	ch := limitedChannel{&fakeChannel{
		limits: adapters.Limits{BatchSize: 10},
		script: script{
			"A price 11": {&adapters.ThrottledError{Message: "429"}, &adapters.TemporaryError{Message: "502"}},
			"A title b":  {&adapters.RejectedError{Reason: "title refused"}},
			"B title y":  {&adapters.TemporaryError{Message: "timeout", Timeout: true}},
		},
		lands: map[string]bool{"B title y": true},
	}}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	run := func(changes ...plan.Change) *Report {
		t.Helper()
		rep, err := Apply(ctx, &plan.Plan{Changes: changes}, Options{
			Spec: s, Journal: &journal{}, RunID: 1, MaxAttempts: 3, InitialBackoff: time.Microsecond, MaxBackoff: time.Millisecond,
			Targets:   map[string]Target{"shop": {Channel: ch, ChannelSKU: func(sku string) string { return sku }}},
			Observe:   ch.observe,
			Revisions: st, Now: func() time.Time { return now },
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run(change("shop", "A", "price", "10", "11"), change("shop", "A", "title", "a", "b"), change("shop", "B", "title", "x", "y"))
	if rep.Applied != 2 || len(rep.Failed) != 1 {
		t.Fatalf("report %s", rep.Summary())
	}
	today, err := st.RevisionsOn(ctx, "shop", "2026-12-01", []string{"A", "B"})
	if err != nil {
		t.Fatal(err)
	}
	// A: three attempts of the price (two given back), one refused title
	// (given back): 1. B: the timeout, observed to have landed and not
	// sent again, counts: 1.
	if a, b := today["A"].Count(), today["B"].Count(); a != 1 || b != 1 {
		t.Errorf("revisions counted: A %d, B %d; want 1 and 1", a, b)
	}
	// Three more for A go; the fifth of the day is held, never sent.
	for i, to := range []string{"12", "13", "14"} {
		if rep := run(change("shop", "A", "price", fmt.Sprint(11+i), to)); rep.Applied != 1 {
			t.Fatalf("price %s: %s", to, rep.Summary())
		}
	}
	rep = run(change("shop", "A", "price", "14", "15"))
	if rep.Held() != 1 || !strings.Contains(rep.Failed[0].Reason, "its 4 revisions allowed today") {
		t.Fatalf("the fifth: %s %+v", rep.Summary(), rep.Failed)
	}
	if slices.Contains(ch.landed, "A price 15") || ch.tries["A price 15"] != 0 {
		t.Error("a held change was sent")
	}
}
