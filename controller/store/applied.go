package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
)

// FieldKey names one field of one listing. SKU is the catalog SKU.
type FieldKey struct{ Channel, SKU, Field string }

// Applied is the last value accord applied to a field, the revision (git
// commit or content hash of the spec) whose apply set it, and when.
type Applied struct {
	Value    adapters.Value
	Revision string
	At       time.Time
}

// keysPerQuery is how many keys one lookup of LastApplied carries.
const keysPerQuery = 500

// lookupApplied is the query for n keys: the keys as a VALUES table
// (channel, sku, field, index into the chunk) driving primary-key lookups of
// applied, and of the run that set each value.
func lookupApplied(n int) string {
	var b strings.Builder
	b.WriteString(`SELECT k.column4, a.value, r.revision, a.applied_at FROM (VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?, ?, ?, ?)`)
	}
	// CROSS JOIN keeps the keys the outer loop.
	b.WriteString(`) AS k CROSS JOIN applied AS a CROSS JOIN runs AS r
		ON a.channel = k.column1 AND a.sku = k.column2 AND a.field = k.column3 AND r.id = a.run_id`)
	return b.String()
}

// LastApplied returns the last applied value of each key that has one; keys
// without one are absent from the map. All of them are read from one
// snapshot of the database.
func (s *Store) LastApplied(ctx context.Context, keys []FieldKey) (map[FieldKey]Applied, error) {
	out := make(map[FieldKey]Applied)
	if len(keys) == 0 {
		return out, nil
	}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		// Revisions are few and shared by many rows: keep one copy of each.
		revisions := map[string]string{}
		var full *sql.Stmt
		defer func() {
			if full != nil {
				_ = full.Close()
			}
		}()
		args := make([]any, 0, min(len(keys), keysPerQuery)*4)
		for start := 0; start < len(keys); start += keysPerQuery {
			chunk := keys[start:min(start+keysPerQuery, len(keys))]
			args = args[:0]
			for i, k := range chunk {
				args = append(args, k.Channel, k.SKU, k.Field, i)
			}
			var (
				rows *sql.Rows
				err  error
			)
			if len(chunk) < keysPerQuery {
				rows, err = tx.QueryContext(ctx, lookupApplied(len(chunk)), args...)
			} else {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, lookupApplied(keysPerQuery)); err != nil {
						return err
					}
				}
				rows, err = full.QueryContext(ctx, args...)
			}
			if err != nil {
				return err
			}
			err = scanApplied(rows, chunk, out, revisions)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: last applied: %w", err)
	}
	return out, nil
}

func scanApplied(rows *sql.Rows, chunk []FieldKey, out map[FieldKey]Applied, revisions map[string]string) error {
	defer rows.Close()
	for rows.Next() {
		var (
			i     int
			value sql.NullString
			rev   sql.RawBytes
			at    int64
		)
		if err := rows.Scan(&i, &value, &rev, &at); err != nil {
			return err
		}
		if i < 0 || i >= len(chunk) {
			return fmt.Errorf("key index %d out of range", i)
		}
		r, ok := revisions[string(rev)]
		if !ok {
			r = string(rev)
			revisions[r] = r
		}
		out[chunk[i]] = Applied{Value: valueOf(value), Revision: r, At: timeOf(at)}
	}
	return rows.Err()
}
