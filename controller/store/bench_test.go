package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/accordhq/accord/adapters"
)

// batchOf is a batch of n quantity and price changes to new fields, the
// first of them the field numbered from.
func batchOf(from, n int) []JournalChange {
	changes := make([]JournalChange, n)
	for i := range changes {
		k := from + i
		c := JournalChange{SKU: fmt.Sprintf("SKU-%07d", k/2), From: adapters.Units(int64(k % 40)), Reason: "spec"}
		if k%2 == 0 {
			c.Field, c.To = adapters.FieldQuantity, adapters.Units(int64(k%50))
		} else {
			c.Field, c.From, c.To = adapters.FieldPrice, val("41.90"), val(fmt.Sprintf("%d.90", k%100))
		}
		changes[i] = c
	}
	return changes
}

// BenchmarkJournalComplete1000 journals a batch of 1,000 changes and
// completes it with every change landed: the store's share of one Apply call.
func BenchmarkJournalComplete1000(b *testing.B) {
	ctx := context.Background()
	s, _ := open(b, newClock())
	run, err := s.StartRun(ctx, "0123456789abcdef0123456789abcdef01234567", "")
	if err != nil {
		b.Fatal(err)
	}
	const size = 1000
	landed := make([]bool, size)
	for i := range landed {
		landed[i] = true
	}
	var batches [][]JournalChange
	for i := range 50 {
		batches = append(batches, batchOf(i*size, size))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		// After the first 50 batches the changes overwrite fields applied
		// before, as a later apply would.
		id, err := s.JournalBatch(ctx, run, "shop", batches[i%len(batches)])
		if err != nil {
			b.Fatal(err)
		}
		if err := s.CompleteBatch(ctx, id, landed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLastApplied100k looks up 100,000 keys of which 90,000 have a
// last applied value.
func BenchmarkLastApplied100k(b *testing.B) {
	ctx := context.Background()
	s, _ := open(b, newClock())
	const n, applied = 100_000, 90_000
	for from := 0; from < applied; from += 1000 {
		apply(b, s, fmt.Sprintf("rev%d", from/30_000), "shop", batchOf(from, 1000))
	}
	keys := make([]FieldKey, 0, n)
	for _, c := range batchOf(0, n) {
		keys = append(keys, FieldKey{"shop", c.SKU, c.Field})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, err := s.LastApplied(ctx, keys)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != applied {
			b.Fatalf("%d values, want %d", len(got), applied)
		}
	}
}
