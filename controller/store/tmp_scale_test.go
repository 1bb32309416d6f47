package store

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestTmpScale(t *testing.T) {
	if os.Getenv("TMPSCALE") == "" {
		t.Skip()
	}
	ctx := context.Background()
	s, _ := open(t, newClock())
	for pass := range 2 {
		run, _ := s.StartRun(ctx, "0123456789abcdef0123456789abcdef01234567")
		landed := make([]bool, 1000)
		for i := range landed {
			landed[i] = true
		}
		start := time.Now()
		var keys []FieldKey
		for i := range 600 {
			ch := batchOf(i*1000, 1000)
			for _, c := range ch {
				keys = append(keys, FieldKey{"shop", c.SKU, c.Field})
			}
			id, err := s.JournalBatch(ctx, run, "shop", ch)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CompleteBatch(ctx, id, landed); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("pass %d: 600 batches in %v", pass, time.Since(start))
		start = time.Now()
		got, err := s.LastApplied(ctx, keys)
		if err != nil || len(got) != len(keys) {
			t.Fatal(err, len(got))
		}
		t.Logf("pass %d: LastApplied(%d) in %v", pass, len(keys), time.Since(start))
	}
}
