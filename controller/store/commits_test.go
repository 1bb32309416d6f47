package store

import (
	"context"
	"testing"
	"time"
)

func TestCommitsAndApprovals(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := open(t, c)
	if _, found, err := s.CommitOf(ctx, "rev1"); err != nil || found {
		t.Fatalf("commit of an unknown revision: %v, %v", found, err)
	}
	when := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for _, sha := range []string{"aaa", "bbb"} {
		c.advance(time.Minute)
		if err := s.RecordCommit(ctx, Commit{SHA: sha, Revision: "rev1", Author: "Ana <ana@example.com>", Message: "Lower A-1", Committed: when}); err != nil {
			t.Fatal(err)
		}
	}
	// Recording a commit again keeps its first sighting.
	c.advance(time.Minute)
	if err := s.RecordCommit(ctx, Commit{SHA: "aaa", Revision: "rev1", Author: "x", Message: "y", Committed: when}); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.CommitOf(ctx, "rev1")
	if err != nil || !found || got.SHA != "bbb" || got.Author != "Ana <ana@example.com>" || !got.Committed.Equal(when) {
		t.Errorf("commit of rev1: %+v, %v, %v; want bbb, the last seen", got, found, err)
	}

	if ok, err := s.Approved(ctx, "rev1"); err != nil || ok {
		t.Fatalf("approved before anything: %v, %v", ok, err)
	}
	if err := s.Approve(ctx, "rev1", "ana"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Approved(ctx, "rev1"); err != nil || !ok {
		t.Errorf("approved after approval: %v, %v", ok, err)
	}
	// The revision the last apply finished is in force: approved.
	run, err := s.StartRun(ctx, "rev2", "")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Approved(ctx, "rev2"); ok {
		t.Error("a revision whose apply has not finished counts as approved")
	}
	if err := s.FinishRun(ctx, run, "applied 1 of 1", false); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Approved(ctx, "rev2"); err != nil || !ok {
		t.Errorf("the last finished run's revision: %v, %v", ok, err)
	}
	if err := s.Approve(ctx, "", "ana"); err == nil {
		t.Error("approving no revision succeeded")
	}
}
