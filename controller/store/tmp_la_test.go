package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestTmpLA(t *testing.T) {
	if os.Getenv("TMPSCALE") == "" {
		t.Skip()
	}
	ctx := context.Background()
	s, _ := open(t, newClock())
	const n, applied = 100_000, 90_000
	for from := 0; from < applied; from += 1000 {
		apply(t, s, fmt.Sprintf("rev%d", from/30_000), "shop", batchOf(from, 1000), nil)
	}
	keys := make([]FieldKey, 0, n)
	for _, c := range batchOf(0, n) {
		keys = append(keys, FieldKey{"shop", c.SKU, c.Field})
	}
	for range 3 {
		t0 := time.Now()
		got, _ := s.LastApplied(ctx, keys)
		t.Logf("LastApplied %v (%d)", time.Since(t0), len(got))
	}
	// only the SQL: count rows of the chunked join
	for range 2 {
		t0 := time.Now()
		cnt := 0
		_ = s.readTx(ctx, func(tx *sql.Tx) error {
			st, _ := tx.PrepareContext(ctx, lookupApplied(keysPerQuery))
			args := make([]any, 0, 2000)
			for start := 0; start < len(keys); start += keysPerQuery {
				args = args[:0]
				for i, k := range keys[start : start+keysPerQuery] {
					args = append(args, k.Channel, k.SKU, k.Field, i)
				}
				rs, err := st.QueryContext(ctx, args...)
				if err != nil {
					t.Fatal(err)
				}
				for rs.Next() {
					cnt++
				}
				rs.Close()
			}
			return nil
		})
		t.Logf("join no scan %v (%d)", time.Since(t0), cnt)
	}
	for range 2 {
		t0 := time.Now()
		cnt := 0
		_ = s.readTx(ctx, func(tx *sql.Tx) error {
			rs, err := tx.QueryContext(ctx, `SELECT sku, field, value, run_id, applied_at FROM applied WHERE channel = ?`, "shop")
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				var sku, field sql.RawBytes
				var v sql.NullString
				var r, a int64
				rs.Scan(&sku, &field, &v, &r, &a)
				cnt++
			}
			rs.Close()
			return nil
		})
		t.Logf("channel scan %v (%d)", time.Since(t0), cnt)
	}
}
