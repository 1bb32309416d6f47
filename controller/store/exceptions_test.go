package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/adapters"
)

// exceptionState is what the lifecycle test compares: the identity, status
// and details of each exception.
type exceptionState struct {
	ID       int64
	Key      string // code channel sku field
	Status   string
	Observed string
	Message  string
	Revision string
	First    time.Time
	Last     time.Time
	Resolved time.Time
}

func states(t *testing.T, s *Store, f ExceptionFilter) []exceptionState {
	t.Helper()
	ex, err := s.Exceptions(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []exceptionState
	for _, e := range ex {
		out = append(out, exceptionState{
			ID: e.ID, Key: describe(e.Code, e.Channel, e.SKU, e.Field), Status: e.Status, Observed: e.Observed.String(),
			Message: e.Message, Revision: e.Revision, First: e.FirstSeen, Last: e.LastSeen, Resolved: e.ResolvedAt,
		})
	}
	return out
}

func TestExceptionLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	drift := func(channel, sku, observed string) Exception {
		return Exception{Code: "drift", Channel: channel, SKU: sku, Field: adapters.FieldPrice,
			Observed: val(observed), Expected: val("10.00"), Action: "correct", Message: "price drifted to " + observed}
	}
	unmanaged := Exception{Code: "unmanaged_listing", Channel: "shop", SKU: "Z", Message: "not in the catalog"}
	failed := Exception{Code: "apply_failed", Channel: "shop", SKU: "A", Field: adapters.FieldQuantity, Message: "rejected"}
	amazon := drift("amazon", "A", "8.00")

	// 1. The first reconcile sees three exceptions; AddExceptions opens an
	// apply failure.
	t1 := c.now().UTC()
	opened, resolved, err := s.SyncExceptions(ctx, "rev1", Scope{Channels: []string{"shop", "amazon"}},
		[]Exception{drift("shop", "A", "9.00"), unmanaged, amazon}, nil)
	if err != nil || opened != 3 || resolved != 0 {
		t.Fatalf("first sync = %d opened, %d resolved, %v", opened, resolved, err)
	}
	if err := s.AddExceptions(ctx, "rev1", []Exception{failed}); err != nil {
		t.Fatal(err)
	}
	first := states(t, s, ExceptionFilter{})
	want := []exceptionState{
		{first[0].ID, "drift amazon A price", "open", "8.00", "price drifted to 8.00", "rev1", t1, t1, time.Time{}},
		{first[1].ID, "drift shop A price", "open", "9.00", "price drifted to 9.00", "rev1", t1, t1, time.Time{}},
		{first[2].ID, "apply_failed shop A quantity", "open", "(none)", "rejected", "rev1", t1, t1, time.Time{}},
		{first[3].ID, "unmanaged_listing shop Z", "open", "(none)", "not in the catalog", "rev1", t1, t1, time.Time{}},
	}
	if d := cmp.Diff(want, first); d != "" {
		t.Fatalf("after the first sync (-want +got):\n%s", d)
	}
	shopDrift, unmanagedID := first[1].ID, first[3].ID
	if err := s.Acknowledge(ctx, shopDrift, ""); err != nil {
		t.Fatal(err)
	}

	// 2. The second reconcile, of shop alone, sees the drift again at
	// another price; the unmanaged listing is gone. The acknowledged drift
	// is refreshed and stays acknowledged, the unmanaged listing is
	// resolved, apply_failed is kept, and amazon is out of scope.
	c.advance(time.Minute)
	t2 := c.now().UTC()
	opened, resolved, err = s.SyncExceptions(ctx, "rev2", Scope{Channels: []string{"shop"}},
		[]Exception{drift("shop", "A", "9.50")}, []string{"apply_failed"})
	if err != nil || opened != 0 || resolved != 1 {
		t.Fatalf("second sync = %d opened, %d resolved, %v", opened, resolved, err)
	}
	want = []exceptionState{
		{first[0].ID, "drift amazon A price", "open", "8.00", "price drifted to 8.00", "rev1", t1, t1, time.Time{}},
		{shopDrift, "drift shop A price", "acknowledged", "9.50", "price drifted to 9.50", "rev2", t1, t2, time.Time{}},
		{first[2].ID, "apply_failed shop A quantity", "open", "(none)", "rejected", "rev1", t1, t1, time.Time{}},
		{unmanagedID, "unmanaged_listing shop Z", "resolved", "(none)", "not in the catalog", "rev1", t1, t1, t2},
	}
	if d := cmp.Diff(want, states(t, s, ExceptionFilter{Status: "all"})); d != "" {
		t.Fatalf("after the second sync (-want +got):\n%s", d)
	}

	// 3. The unmanaged listing comes back: a new exception, the resolved
	// one kept as history. Without keep, apply_failed is resolved too.
	c.advance(time.Minute)
	t3 := c.now().UTC()
	opened, resolved, err = s.SyncExceptions(ctx, "rev3", Scope{Channels: []string{"shop", "shop"}},
		[]Exception{drift("shop", "A", "9.50"), unmanaged}, nil)
	if err != nil || opened != 1 || resolved != 1 {
		t.Fatalf("third sync = %d opened, %d resolved, %v", opened, resolved, err)
	}
	got := states(t, s, ExceptionFilter{Channel: "shop", Code: "unmanaged_listing", Status: "all"})
	if len(got) != 2 || got[0].ID != unmanagedID || got[0].Status != "resolved" || got[1].Status != "open" || !got[1].First.Equal(t3) {
		t.Errorf("unmanaged listing history = %+v", got)
	}

	filters := []struct {
		name string
		f    ExceptionFilter
		want []string
	}{
		{"unresolved", ExceptionFilter{}, []string{"drift amazon A price", "drift shop A price", "unmanaged_listing shop Z"}},
		{"open", ExceptionFilter{Status: "open"}, []string{"drift amazon A price", "unmanaged_listing shop Z"}},
		{"acknowledged", ExceptionFilter{Status: "acknowledged"}, []string{"drift shop A price"}},
		{"resolved", ExceptionFilter{Status: "resolved"}, []string{"apply_failed shop A quantity", "unmanaged_listing shop Z"}},
		{"channel", ExceptionFilter{Channel: "amazon", Status: "all"}, []string{"drift amazon A price"}},
		{"code", ExceptionFilter{Code: "drift"}, []string{"drift amazon A price", "drift shop A price"}},
	}
	for _, tt := range filters {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, e := range states(t, s, tt.f) {
				keys = append(keys, e.Key)
			}
			if d := cmp.Diff(tt.want, keys); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if _, err := s.Exceptions(ctx, ExceptionFilter{Status: "closed"}); err == nil {
		t.Error("an unknown status filter was accepted")
	}
	if err := s.AddExceptions(ctx, "rev", []Exception{{Code: "drift"}}); err == nil {
		t.Error("an exception without a channel was accepted")
	}
}

func TestAcknowledge(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	if _, _, err := s.SyncExceptions(ctx, "rev", Scope{Channels: []string{"shop"}}, []Exception{
		{Code: "drift", Channel: "shop", SKU: "A"},
		{Code: "drift", Channel: "shop", SKU: "B"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SyncExceptions(ctx, "rev", Scope{Channels: []string{"shop"}}, []Exception{{Code: "drift", Channel: "shop", SKU: "A"}}, nil); err != nil {
		t.Fatal(err)
	}
	all, err := s.Exceptions(ctx, ExceptionFilter{Status: "all"})
	if err != nil {
		t.Fatal(err)
	}
	open, resolved := all[0].ID, all[1].ID

	tests := []struct {
		name string
		id   int64
		want error
	}{
		{"open", open, nil},
		{"acknowledged again", open, nil},
		{"resolved", resolved, ErrResolved},
		{"unknown", 999, ErrNotFound},
	}
	for _, tt := range tests {
		err := s.Acknowledge(ctx, tt.id, "")
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Acknowledge = %v, want %v", tt.name, err, tt.want)
		}
	}
	got, err := s.Exceptions(ctx, ExceptionFilter{Status: "acknowledged"})
	if err != nil || len(got) != 1 || got[0].ID != open {
		t.Errorf("acknowledged = %+v, %v", got, err)
	}
}

// A reconcile narrowed to some SKUs says nothing of the others: their
// exceptions stay open, and channel-wide ones too.
func TestSyncExceptionsScopedToSKUs(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	seen := []Exception{
		{Code: "drift", Channel: "shop", SKU: "A", Field: "price"},
		{Code: "drift", Channel: "shop", SKU: "B", Field: "price"},
		{Code: "unmanaged_listing", Channel: "shop", SKU: "ZZ-1"},
	}
	if _, _, err := s.SyncExceptions(ctx, "rev1", Scope{Channels: []string{"shop"}}, seen, nil); err != nil {
		t.Fatal(err)
	}
	// apply --sku B: B's drift is gone; A's and the unmanaged listing were
	// not looked at.
	_, resolved, err := s.SyncExceptions(ctx, "rev1", Scope{Channels: []string{"shop"}, SKUs: []string{"B"}}, nil, nil)
	if err != nil || resolved != 1 {
		t.Fatalf("resolved %d, %v; want B's drift alone", resolved, err)
	}
	open, _ := s.Exceptions(ctx, ExceptionFilter{})
	var skus []string
	for _, e := range open {
		skus = append(skus, e.SKU)
	}
	if strings.Join(skus, ",") != "A,ZZ-1" {
		t.Errorf("open after a reconcile of B: %v, want A,ZZ-1", skus)
	}
}

func TestShowAckResolveWithNotes(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	if _, _, err := s.SyncExceptions(ctx, "rev1", Scope{Channels: []string{"shop"}},
		[]Exception{{Code: "drift", Channel: "shop", SKU: "A", Field: "title", Observed: val("Old"), Expected: val("New"), Action: "report", Message: "changed"}}, nil); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Exceptions(ctx, ExceptionFilter{})
	id := all[0].ID
	c.advance(time.Hour)
	if err := s.Acknowledge(ctx, id, "the brand asked for the old title this week"); err != nil {
		t.Fatal(err)
	}
	acked := c.now().UTC()
	c.advance(time.Hour)
	if err := s.Acknowledge(ctx, id, ""); err != nil { // keeps the note and the first time
		t.Fatal(err)
	}
	// Seen again, it keeps its status and note.
	if _, _, err := s.SyncExceptions(ctx, "rev2", Scope{Channels: []string{"shop"}},
		[]Exception{{Code: "drift", Channel: "shop", SKU: "A", Field: "title", Observed: val("Old"), Expected: val("New"), Action: "report", Message: "changed"}}, nil); err != nil {
		t.Fatal(err)
	}
	e, err := s.Exception(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != StatusAcknowledged || e.Note != "the brand asked for the old title this week" || !e.AcknowledgedAt.Equal(acked) || e.Revision != "rev2" || e.Observed != val("Old") {
		t.Errorf("exception %+v", e)
	}
	if err := s.Resolve(ctx, id, "renamed on the channel by hand"); err != nil {
		t.Fatal(err)
	}
	e, _ = s.Exception(ctx, id)
	if e.Status != StatusResolved || e.ResolvedAt.IsZero() || e.Note != "renamed on the channel by hand" {
		t.Errorf("resolved exception %+v", e)
	}
	if err := s.Resolve(ctx, id, ""); !errors.Is(err, ErrResolved) {
		t.Errorf("resolving twice = %v", err)
	}
	if _, err := s.Exception(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown exception = %v", err)
	}
}

// A drift corrected in the reconcile that saw it is history: opened and
// resolved at once; one open since an earlier reconcile is resolved.
func TestRecordSettled(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	drift := func(sku string) Exception {
		return Exception{Code: "drift", Channel: "shop", SKU: sku, Field: "price", Observed: val("1.00"), Expected: val("10.00"), Action: "correct", Message: "price was changed"}
	}
	if err := s.AddExceptions(ctx, "rev1", []Exception{drift("A")}); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	if err := s.RecordSettled(ctx, "rev2", []Exception{drift("A"), drift("B")}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Exceptions(ctx, ExceptionFilter{Status: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d exceptions, want 2: %+v", len(all), all)
	}
	for _, e := range all {
		if e.Status != StatusResolved || e.ResolvedAt.IsZero() || e.Revision != "rev2" {
			t.Errorf("%s: status %s, resolved at %v, revision %s", e.SKU, e.Status, e.ResolvedAt, e.Revision)
		}
		if e.SKU == "B" && !e.FirstSeen.Equal(e.ResolvedAt) {
			t.Errorf("B opened at %v and resolved at %v: want one moment", e.FirstSeen, e.ResolvedAt)
		}
		if e.SKU == "A" && !e.FirstSeen.Before(e.ResolvedAt) {
			t.Errorf("A keeps its first sighting: %v, resolved %v", e.FirstSeen, e.ResolvedAt)
		}
	}
	if err := s.RecordSettled(ctx, "rev2", []Exception{{Code: "drift"}}); err == nil {
		t.Error("an exception without a channel was recorded")
	}
}
