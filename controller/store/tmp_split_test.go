package store

import (
	"context"
	"testing"
	"time"
)

func TestTmpSplit(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t, newClock())
	run, _ := s.StartRun(ctx, "0123456789abcdef0123456789abcdef01234567")
	landed := make([]bool, 1000)
	for i := range landed {
		landed[i] = true
	}
	mn := func(a *time.Duration, b time.Duration) {
		if *a == 0 || b < *a {
			*a = b
		}
	}
	var tj, tc time.Duration
	const n = 200
	for i := range n {
		ch := batchOf((i%50)*1000, 1000)
		t0 := time.Now()
		id, err := s.JournalBatch(ctx, run, "shop", ch)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if err := s.CompleteBatch(ctx, id, landed); err != nil {
			t.Fatal(err)
		}
		mn(&tj, t1.Sub(t0))
		mn(&tc, time.Since(t1))
	}
	t.Logf("min: journal %v complete %v", tj, tc)
}
