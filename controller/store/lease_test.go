package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLease(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, path := open(t, c)
	other := openAt(t, path, c) // a second process on the same state

	req := LeaseRequest{Owner: "accord apply (ana@build-7, pid 10)", Host: "build-7", PID: 10, TTL: 30 * time.Second}
	first, err := s.AcquireLease(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || !first.Expires.Equal(c.now().Add(30*time.Second)) {
		t.Errorf("lease %+v", first)
	}

	// Held: a second holder is told who has it and since when.
	req2 := LeaseRequest{Owner: "accord apply (bo@build-7, pid 11)", Host: "build-7", PID: 11, TTL: 30 * time.Second}
	_, err = other.AcquireLease(ctx, req2)
	var held *LeaseHeldError
	if !errors.As(err, &held) || held.Lease.ID != first.ID || held.Lease.Owner != req.Owner {
		t.Fatalf("a held lease was acquired again: %v", err)
	}
	for _, want := range []string{"ana@build-7, pid 10", first.ID, "since 2025-03-01T08:30:00Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}

	// Renewed, it outlives its first expiry.
	c.advance(20 * time.Second)
	if _, err := s.RenewLease(ctx, first.ID, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c.advance(20 * time.Second)
	if _, err := other.AcquireLease(ctx, req2); !errors.As(err, &held) {
		t.Fatalf("a renewed lease was taken: %v", err)
	}

	// A holder known to be gone is taken over before expiry.
	req2.Gone = func(l Lease) bool { return l.PID == 10 }
	second, err := other.AcquireLease(ctx, req2)
	if err != nil {
		t.Fatalf("the lease of a process that is gone was not taken over: %v", err)
	}
	if _, err := s.RenewLease(ctx, first.ID, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("renewing a lease taken over = %v, want ErrLeaseLost", err)
	}
	if err := s.ReleaseLease(ctx, first.ID); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("releasing a lease taken over = %v, want ErrLeaseLost", err)
	}

	// Not renewed, it expires and is taken over.
	c.advance(31 * time.Second)
	third, err := s.AcquireLease(ctx, req)
	if err != nil {
		t.Fatalf("an expired lease was not taken over: %v", err)
	}
	if third.ID == second.ID {
		t.Error("a new holding has the old ID")
	}

	// force-unlock takes the ID; an unknown one is ErrNotFound.
	if err := other.ForceUnlock(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("force-unlock of an unknown ID = %v", err)
	}
	if err := other.ForceUnlock(ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	if l, err := s.CurrentLease(ctx); err != nil || l != nil {
		t.Errorf("after force-unlock the lease is %+v, %v", l, err)
	}
	if _, err := s.AcquireLease(ctx, LeaseRequest{Owner: "x"}); err == nil {
		t.Error("a lease without a duration was granted")
	}
}
