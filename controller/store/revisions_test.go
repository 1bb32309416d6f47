package store

import (
	"testing"

	"github.com/accordhq/accord/adapters"
)

func TestRevisions(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := open(t, c)
	day1 := []Revision{
		{SKU: "A", Field: "price", From: val("10"), To: val("11")},
		{SKU: "B", Field: "quantity", From: val("3"), To: val("2")},
		{SKU: "A", Field: "compare_at", From: val("12"), To: adapters.Value{}},
	}
	seqs, err := s.SpendRevisions(ctx, "ebay", "2026-12-01", "", day1)
	if err != nil || len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 1 || seqs[2] != 2 {
		t.Fatalf("spent %v, %v; want A 1, B 1, A 2", seqs, err)
	}
	if _, err := s.SpendRevisions(ctx, "ebay", "2026-12-01", "", []Revision{{SKU: "A", Field: "price", From: val("11"), To: val("10")}}); err != nil {
		t.Fatal(err)
	}
	// One refused: it does not count.
	refused, err := s.SpendRevisions(ctx, "ebay", "2026-12-01", "", []Revision{{SKU: "A", Field: "title", From: val("a"), To: val("b")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RefundRevisions(ctx, "ebay", "2026-12-01", []Spent{{SKU: "A", Seq: refused[0]}}); err != nil {
		t.Fatal(err)
	}
	// Another channel's and another day's are apart.
	if _, err := s.SpendRevisions(ctx, "other", "2026-12-01", "", day1[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SpendRevisions(ctx, "ebay", "2026-12-02", "", day1[:1]); err != nil {
		t.Fatal(err)
	}
	// Read after a restart.
	_ = s.Close()
	s = openAt(t, path, c)
	got, err := s.RevisionsOn(ctx, "ebay", "2026-12-01", []string{"A", "B", "C"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["A"].Count() != 3 || got["B"].Count() != 1 {
		t.Fatalf("revisions = %+v", got)
	}
	a := got["A"].Moves
	if a[0].Field != "price" || a[1].Field != "compare_at" || a[1].To.Set || a[2].To != val("10") {
		t.Errorf("A's moves out of order or changed: %+v", a)
	}
	// Days before keepFrom are forgotten.
	if _, err := s.SpendRevisions(ctx, "ebay", "2026-12-03", "2026-12-02", day1[:1]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RevisionsOn(ctx, "ebay", "2026-12-01", []string{"A"}); len(got) != 0 {
		t.Errorf("day 1 kept: %+v", got)
	}
	if got, _ := s.RevisionsOn(ctx, "ebay", "2026-12-02", []string{"A"}); got["A"].Count() != 1 {
		t.Errorf("day 2 lost: %+v", got)
	}
}
