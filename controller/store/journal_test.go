package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/adapters"
)

// apply journals changes on channel in a new run of revision and completes
// the batch with every change landed.
func apply(t testing.TB, s *Store, revision, channel string, changes []JournalChange) (run, batch int64) {
	t.Helper()
	ctx := context.Background()
	run, err := s.StartRun(ctx, revision, "")
	if err != nil {
		t.Fatal(err)
	}
	batch, err = s.JournalBatch(ctx, run, channel, changes)
	if err != nil {
		t.Fatal(err)
	}
	landed := make([]bool, len(changes))
	for i := range landed {
		landed[i] = true
	}
	if err := s.CompleteBatch(ctx, batch, landed); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, run, "done", false); err != nil {
		t.Fatal(err)
	}
	return run, batch
}

func TestLastApplied(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	t1 := c.now()
	apply(t, s, "rev1", "shop", []JournalChange{
		{SKU: "A", Field: adapters.FieldQuantity, From: val("3"), To: val("5"), Reason: "spec"},
		{SKU: "A", Field: adapters.FieldCompareAt, From: val("49.90"), To: adapters.Null, Reason: "spec"},
		{SKU: "B", Field: "title", From: adapters.Null, To: val("Blue mug"), Reason: "drift"},
	})
	c.advance(time.Hour)
	t2 := c.now()
	apply(t, s, "rev2", "shop", []JournalChange{
		{Channel: "shop", SKU: "A", Field: adapters.FieldQuantity, From: val("5"), To: val("7"), Reason: "spec"},
		// The later of two changes to one field in a batch wins.
		{Channel: "shop", SKU: "A", Field: adapters.FieldQuantity, From: val("7"), To: val("4"), Reason: "spec"},
	})

	got, err := s.LastApplied(ctx, []FieldKey{
		{"shop", "A", adapters.FieldQuantity},
		{"shop", "A", adapters.FieldCompareAt},
		{"shop", "B", "title"},
		{"shop", "B", adapters.FieldQuantity}, // never applied
		{"amazon", "A", adapters.FieldQuantity},
		{"shop", "A", adapters.FieldQuantity}, // twice
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[FieldKey]Applied{
		{"shop", "A", adapters.FieldQuantity}:  {val("4"), "rev2", t2.UTC(), ""},
		{"shop", "A", adapters.FieldCompareAt}: {adapters.Null, "rev1", t1.UTC(), ""},
		{"shop", "B", "title"}:                 {val("Blue mug"), "rev1", t1.UTC(), ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LastApplied (-want +got):\n%s", d)
	}

	if got, err := s.LastApplied(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("LastApplied(nil) = %v, %v", got, err)
	}
}

func TestLastAppliedChunks(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	// Every third of 2*keysPerQuery+7 keys applied, so that the keys span
	// full chunks and a short one.
	var (
		keys    []FieldKey
		changes []JournalChange
	)
	for i := range 2*keysPerQuery + 7 {
		k := FieldKey{"shop", fmt.Sprintf("SKU-%04d", i), adapters.FieldPrice}
		keys = append(keys, k)
		if i%3 == 0 {
			changes = append(changes, JournalChange{SKU: k.SKU, Field: k.Field, To: val(fmt.Sprintf("%d.00", i)), Reason: "spec"})
		}
	}
	apply(t, s, "rev", "shop", changes)
	got, err := s.LastApplied(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(changes) {
		t.Fatalf("%d values, want %d", len(got), len(changes))
	}
	for i, k := range keys {
		a, ok := got[k]
		if ok != (i%3 == 0) {
			t.Fatalf("%v present = %v", k, ok)
		}
		if ok && a.Value != val(fmt.Sprintf("%d.00", i)) {
			t.Fatalf("%v = %v", k, a.Value)
		}
	}
}

func TestJournalComplete(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	run, err := s.StartRun(ctx, "rev1", "")
	if err != nil {
		t.Fatal(err)
	}
	changes := []JournalChange{
		{SKU: "A", Field: adapters.FieldQuantity, From: val("3"), To: val("5"), Reason: "spec"},
		{SKU: "B", Field: adapters.FieldPrice, From: val("10.00"), To: val("12.00"), Reason: "spec"},
		{SKU: "C", Field: adapters.FieldListing, From: adapters.Null, To: adapters.Null, Reason: "spec"},
	}
	batch, err := s.JournalBatch(ctx, run, "shop", changes)
	if err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second)
	done := c.now().UTC()

	errs := []struct {
		name   string
		batch  int64
		landed []bool
		want   error
	}{
		{"too few outcomes", batch, []bool{true}, nil},
		{"unknown batch", batch + 1, []bool{true, false, true}, ErrNotFound},
	}
	for _, tt := range errs {
		err := s.CompleteBatch(ctx, tt.batch, tt.landed)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: CompleteBatch = %v, want %v", tt.name, err, tt.want)
		}
	}

	if err := s.CompleteBatch(ctx, batch, []bool{true, false, true}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteBatch(ctx, batch, []bool{true, false, true}); !errors.Is(err, ErrNotPending) {
		t.Errorf("completing twice = %v, want ErrNotPending", err)
	}
	if err := s.RecoverBatch(ctx, batch, []bool{true, false, true}); !errors.Is(err, ErrNotPending) {
		t.Errorf("recovering a completed batch = %v, want ErrNotPending", err)
	}

	audit, err := s.Audit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wantAudit := []AuditEntry{
		{ID: audit[0].ID, RunID: run, Revision: "rev1", Channel: "shop", SKU: "A", Field: adapters.FieldQuantity, From: val("3"), To: val("5"), Reason: "spec", At: done},
		{ID: audit[1].ID, RunID: run, Revision: "rev1", Channel: "shop", SKU: "C", Field: adapters.FieldListing, Reason: "spec", At: done},
	}
	if d := cmp.Diff(wantAudit, audit); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	applied, err := s.LastApplied(ctx, []FieldKey{{"shop", "A", adapters.FieldQuantity}, {"shop", "B", adapters.FieldPrice}, {"shop", "C", adapters.FieldListing}})
	if err != nil {
		t.Fatal(err)
	}
	wantApplied := map[FieldKey]Applied{
		{"shop", "A", adapters.FieldQuantity}: {val("5"), "rev1", done, ""},
		{"shop", "C", adapters.FieldListing}:  {adapters.Null, "rev1", done, ""},
	}
	if d := cmp.Diff(wantApplied, applied); d != "" {
		t.Errorf("last applied (-want +got):\n%s", d)
	}
	pending, err := s.PendingBatches(ctx)
	if err != nil || len(pending) != 0 {
		t.Errorf("PendingBatches = %v, %v; want none", pending, err)
	}
	var state, payload string
	var completed int64
	if err := s.db.QueryRowContext(ctx, `SELECT state, completed_at, changes FROM batches WHERE id = ?`, batch).Scan(&state, &completed, &payload); err != nil {
		t.Fatal(err)
	}
	if state != "done" || !timeOf(completed).Equal(done) {
		t.Errorf("batch is %s, completed %v", state, timeOf(completed))
	}
	if payload != "[]" {
		t.Errorf("a completed batch keeps its payload %s; the audit log holds it", payload)
	}
}

func TestJournalErrors(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	run, err := s.StartRun(ctx, "rev1", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.JournalBatch(ctx, run+1, "shop", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("journal for an unknown run = %v, want ErrNotFound", err)
	}
	if _, err := s.JournalBatch(ctx, run, "shop", []JournalChange{{Channel: "amazon", SKU: "A", Field: "price"}}); err == nil {
		t.Error("journal of another channel's change succeeded")
	}
	if err := s.FinishRun(ctx, run+1, "", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing an unknown run = %v, want ErrNotFound", err)
	}
	if err := s.RecoverBatch(ctx, 99, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("recovering an unknown batch = %v, want ErrNotFound", err)
	}
}

func TestPendingRecover(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, path := open(t, c)
	run, err := s.StartRun(ctx, "rev1", "")
	if err != nil {
		t.Fatal(err)
	}
	first := []JournalChange{
		{SKU: "A", Field: adapters.FieldQuantity, From: adapters.Null, To: val("0"), Reason: "spec"},
		{SKU: "A", Field: "title", From: val(`Mug "large" ☕`), To: val("<b>Mug</b> \\ & co"), Reason: "drift"},
		{SKU: "", Field: "", Reason: ""},
	}
	second := []JournalChange{{SKU: "B", Field: adapters.FieldPrice, From: val("1.00"), To: val("2.00"), Reason: "spec"}}
	b1, err := s.JournalBatch(ctx, run, "shop", first)
	if err != nil {
		t.Fatal(err)
	}
	sent1 := c.now().UTC()
	c.advance(time.Millisecond)
	b2, err := s.JournalBatch(ctx, run, "amazon", second)
	if err != nil {
		t.Fatal(err)
	}
	sent2 := c.now().UTC()
	// The process dies here.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	c.advance(time.Hour)
	s = openAt(t, path, c)
	// A new apply starts; the recovered changes still belong to rev1.
	if _, err := s.StartRun(ctx, "rev2", ""); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingBatches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withChannel := func(ch string, cs []JournalChange) []JournalChange {
		out := append([]JournalChange(nil), cs...)
		for i := range out {
			out[i].Channel = ch
		}
		return out
	}
	want := []Batch{
		{ID: b1, RunID: run, Revision: "rev1", Channel: "shop", Changes: withChannel("shop", first), Sent: sent1},
		{ID: b2, RunID: run, Revision: "rev1", Channel: "amazon", Changes: withChannel("amazon", second), Sent: sent2},
	}
	if d := cmp.Diff(want, pending); d != "" {
		t.Fatalf("PendingBatches (-want +got):\n%s", d)
	}

	if err := s.RecoverBatch(ctx, b1, []bool{false, true, false}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecoverBatch(ctx, b2, []bool{false}); err != nil {
		t.Fatal(err)
	}
	if pending, err := s.PendingBatches(ctx); err != nil || len(pending) != 0 {
		t.Errorf("PendingBatches after recovery = %v, %v", pending, err)
	}
	audit, err := s.Audit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	recovered := c.now().UTC()
	wantAudit := []AuditEntry{{
		ID: audit[0].ID, RunID: run, Revision: "rev1", Channel: "shop", SKU: "A", Field: "title",
		From: val(`Mug "large" ☕`), To: val("<b>Mug</b> \\ & co"), Reason: "drift", At: recovered,
	}}
	if d := cmp.Diff(wantAudit, audit); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	applied, err := s.LastApplied(ctx, []FieldKey{{"shop", "A", "title"}, {"shop", "A", adapters.FieldQuantity}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[FieldKey]Applied{{"shop", "A", "title"}: {val("<b>Mug</b> \\ & co"), "rev1", recovered, ""}}, applied); d != "" {
		t.Errorf("last applied (-want +got):\n%s", d)
	}
	var state string
	if err := s.db.QueryRowContext(ctx, `SELECT state FROM batches WHERE id = ?`, b1).Scan(&state); err != nil || state != "recovered" {
		t.Errorf("batch state %q, %v; want recovered", state, err)
	}
}

func TestAuditFilter(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	ch := func(sku, to string) JournalChange {
		return JournalChange{SKU: sku, Field: adapters.FieldQuantity, To: val(to), Reason: "spec"}
	}
	r1, _ := apply(t, s, "rev1", "shop", []JournalChange{ch("A", "1"), ch("B", "2")})
	r2, _ := apply(t, s, "rev2", "amazon", []JournalChange{ch("A", "3"), ch("C", "4")})
	apply(t, s, "rev3", "shop", []JournalChange{ch("A", "5")})

	tests := []struct {
		name   string
		filter AuditFilter
		want   []string // channel/sku=to
	}{
		{"all", AuditFilter{}, []string{"shop/A=1", "shop/B=2", "amazon/A=3", "amazon/C=4", "shop/A=5"}},
		{"channel", AuditFilter{Channel: "shop"}, []string{"shop/A=1", "shop/B=2", "shop/A=5"}},
		{"sku", AuditFilter{SKU: "A"}, []string{"shop/A=1", "amazon/A=3", "shop/A=5"}},
		{"channel and sku", AuditFilter{Channel: "shop", SKU: "A"}, []string{"shop/A=1", "shop/A=5"}},
		{"run", AuditFilter{RunID: r2}, []string{"amazon/A=3", "amazon/C=4"}},
		{"run and sku", AuditFilter{RunID: r1, SKU: "B"}, []string{"shop/B=2"}},
		{"limit keeps the most recent", AuditFilter{Limit: 2}, []string{"amazon/C=4", "shop/A=5"}},
		{"limit with filter", AuditFilter{SKU: "A", Limit: 2}, []string{"amazon/A=3", "shop/A=5"}},
		{"none", AuditFilter{Channel: "ebay"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := s.Audit(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Channel+"/"+e.SKU+"="+e.To.Text)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestConcurrent applies two channels in parallel, as the controller does,
// while a third goroutine reads.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	run, err := s.StartRun(ctx, "rev", "")
	if err != nil {
		t.Fatal(err)
	}
	const batches, size = 20, 50
	channels := []string{"shop", "amazon"}
	var wg sync.WaitGroup
	errs := make(chan error, len(channels)+1)
	for _, channel := range channels {
		wg.Go(func() {
			for b := range batches {
				changes := make([]JournalChange, size)
				landed := make([]bool, size)
				for i := range changes {
					changes[i] = JournalChange{SKU: fmt.Sprintf("S%d-%d", b, i), Field: adapters.FieldQuantity, To: adapters.Units(int64(i)), Reason: "spec"}
					landed[i] = i%2 == 0
				}
				id, err := s.JournalBatch(ctx, run, channel, changes)
				if err != nil {
					errs <- err
					return
				}
				if err := s.CompleteBatch(ctx, id, landed); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		keys := []FieldKey{{"shop", "S0-0", adapters.FieldQuantity}, {"amazon", "S0-0", adapters.FieldQuantity}}
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.LastApplied(ctx, keys); err != nil {
				errs <- err
				return
			}
			if _, err := s.PendingBatches(ctx); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, channel := range channels {
		entries, err := s.Audit(ctx, AuditFilter{Channel: channel})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != batches*size/2 {
			t.Errorf("%s: %d audit entries, want %d", channel, len(entries), batches*size/2)
		}
	}
	if pending, err := s.PendingBatches(ctx); err != nil || len(pending) != 0 {
		t.Errorf("PendingBatches = %d, %v", len(pending), err)
	}
}

// TestManyOpenBatches journals more batches than the Store keeps in memory
// before completing any: the ones it let go are read back from the journal.
func TestManyOpenBatches(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	run, err := s.StartRun(ctx, "rev", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range maxSentBatches + 5 {
		id, err := s.JournalBatch(ctx, run, "shop", []JournalChange{
			{SKU: fmt.Sprint(i), Field: adapters.FieldQuantity, From: adapters.Null, To: adapters.Units(int64(i)), Reason: "spec"},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if err := s.CompleteBatch(ctx, id, []bool{true}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := s.Audit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(ids) {
		t.Fatalf("%d audit entries, want %d", len(entries), len(ids))
	}
	for i, e := range entries {
		if e.SKU != fmt.Sprint(i) || e.To != adapters.Units(int64(i)) || e.From.Set {
			t.Errorf("entry %d = %+v", i, e)
		}
	}
	if n := len(s.sent.changes); n != 0 {
		t.Errorf("%d batches still held in memory", n)
	}
}

// References travel with the journal and land with the last applied
// values; a submission is recorded on a pending batch and comes back with
// it, with the run's lease, for a recovery in another process.
func TestJournalRefsAndSubmissions(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, path := open(t, c)
	run, err := s.StartRun(ctx, "rev1", "lease-a")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := s.JournalBatch(ctx, run, "amazon", []JournalChange{
		{SKU: "A", Field: adapters.FieldPrice, From: val("10.00"), To: val("12.00"), Reason: "spec", Ref: "LUGGAGE", Item: 0},
		{SKU: "B", Field: adapters.FieldQuantity, To: val("3"), Reason: "spec", Item: 1, Create: true},
		{SKU: "B", Field: "title", To: val("Bag"), Reason: "spec", Item: 1, Create: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitBatch(ctx, batch, "feed-7"); err != nil {
		t.Fatal(err)
	}
	// Another process (a recovery after kill -9) reads it back whole.
	other := openAt(t, path, c)
	pending, err := other.PendingBatches(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	b := pending[0]
	if b.Submission != "feed-7" || b.LeaseID != "lease-a" || b.Changes[0].Ref != "LUGGAGE" || b.Changes[2].Item != 1 || !b.Changes[2].Create {
		t.Errorf("pending batch read back as %+v", b)
	}
	if err := other.RecoverBatch(ctx, b.ID, []bool{true, true, false}); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitBatch(ctx, batch, "feed-8"); !errors.Is(err, ErrNotPending) {
		t.Errorf("submitting a settled batch = %v, want ErrNotPending", err)
	}
	got, err := s.LastApplied(ctx, []FieldKey{{"amazon", "A", adapters.FieldPrice}, {"amazon", "B", "title"}})
	if err != nil {
		t.Fatal(err)
	}
	if a := got[FieldKey{"amazon", "A", adapters.FieldPrice}]; a.Ref != "LUGGAGE" || a.Value != val("12.00") {
		t.Errorf("last applied price %+v, want its reference kept", a)
	}
	if _, ok := got[FieldKey{"amazon", "B", "title"}]; ok {
		t.Error("a change that did not land has a last applied value")
	}
	// A later change without a reference keeps the known one.
	run2, _ := s.StartRun(ctx, "rev2", "lease-b")
	b2, err := s.JournalBatch(ctx, run2, "amazon", []JournalChange{{SKU: "A", Field: adapters.FieldPrice, From: val("12.00"), To: val("13.00"), Reason: "spec"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteBatch(ctx, b2, []bool{true}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.LastApplied(ctx, []FieldKey{{"amazon", "A", adapters.FieldPrice}})
	if a := got[FieldKey{"amazon", "A", adapters.FieldPrice}]; a.Ref != "LUGGAGE" || a.Value != val("13.00") {
		t.Errorf("after a change without a reference: %+v", a)
	}
}

// An answer in part unknown: the landed change is audited at once, the
// unknown ones stay in the journal until a recovery settles them, and each
// change is audited once whatever happens.
func TestRecordOutcomesUnknown(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, path := open(t, c)
	run, err := s.StartRun(ctx, "rev1", "lease-1")
	if err != nil {
		t.Fatal(err)
	}
	changes := []JournalChange{
		{SKU: "A", Field: adapters.FieldPrice, From: val("1.00"), To: val("2.00"), Reason: "spec", Item: 0},
		{SKU: "B", Field: adapters.FieldQuantity, To: val("4"), Reason: "spec", Item: 1, Create: true},
		{SKU: "B", Field: "title", To: val("Mug"), Reason: "spec", Item: 1, Create: true},
		{SKU: "C", Field: adapters.FieldPrice, From: val("3.00"), To: val("5.00"), Reason: "spec", Item: 2},
	}
	id, err := s.JournalBatch(ctx, run, "shop", changes)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcomes(ctx, id, []Outcome{Landed, Unknown, Unknown, NotLanded}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcomes(ctx, id, []Outcome{Landed, Landed, Landed, Landed}); !errors.Is(err, ErrNotPending) {
		t.Errorf("recording an unknown batch's outcomes again: %v, want ErrNotPending", err)
	}
	// Settled by whoever opens the store next, even after a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, c)
	pending, err := s.PendingBatches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || !pending[0].Unknown || pending[0].LeaseID != "lease-1" {
		t.Fatalf("pending = %+v, want the one unknown batch", pending)
	}
	want := []JournalChange{changes[1], changes[2]}
	for i := range want {
		want[i].Channel = "shop"
	}
	if d := cmp.Diff(want, pending[0].Changes); d != "" {
		t.Errorf("unknown changes kept (-want +got):\n%s", d)
	}
	if err := s.RecoverBatch(ctx, id, []bool{true}); err == nil {
		t.Error("RecoverBatch with one outcome for two changes succeeded")
	}
	if err := s.RecoverBatch(ctx, id, []bool{true, false}); err != nil {
		t.Fatal(err)
	}
	if pending, err := s.PendingBatches(ctx); err != nil || len(pending) != 0 {
		t.Errorf("PendingBatches after recovery = %+v, %v", pending, err)
	}
	audit, err := s.Audit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range audit {
		got = append(got, e.SKU+" "+e.Field+" "+e.To.Text)
	}
	if d := cmp.Diff([]string{"A price 2.00", "B quantity 4"}, got); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	// A recovery must settle everything it holds.
	run2, _ := s.StartRun(ctx, "rev1", "")
	id2, err := s.JournalBatch(ctx, run2, "shop", changes[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.complete(ctx, id2, []Outcome{Unknown}, batchRecovered); err == nil {
		t.Error("a recovery leaving a change unknown was accepted")
	}
}

// A database of schema version 2 with a batch in flight keeps it through
// the rebuild of the batches table (version 3), and the batch can then be
// left unknown.
func TestMigrateBatchesKeepsPending(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	orig := migrations
	t.Cleanup(func() { migrations = orig })
	migrations = orig[:2]
	s, path := open(t, c)
	run, err := s.StartRun(ctx, "rev1", "lease-1")
	if err != nil {
		t.Fatal(err)
	}
	change := JournalChange{SKU: "A", Field: adapters.FieldPrice, From: val("1.00"), To: val("2.00"), Reason: "spec"}
	id, err := s.JournalBatch(ctx, run, "shop", []JournalChange{change})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitBatch(ctx, id, "feed-7"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	migrations = orig
	s = openAt(t, path, c)
	pending, err := s.PendingBatches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	change.Channel = "shop"
	if len(pending) != 1 || pending[0].ID != id || pending[0].Submission != "feed-7" || pending[0].Unknown || !cmp.Equal(pending[0].Changes, []JournalChange{change}) {
		t.Fatalf("pending after migrating: %+v", pending)
	}
	if err := s.RecordOutcomes(ctx, id, []Outcome{Unknown}); err != nil {
		t.Fatal(err)
	}
	if pending, err := s.PendingBatches(ctx); err != nil || len(pending) != 1 || !pending[0].Unknown {
		t.Fatalf("pending after an unknown outcome: %+v, %v", pending, err)
	}
}
