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
	// Ref is the adapter's reference to the listing when it was applied.
	Ref adapters.Ref
}

// keysPerQuery is how many keys one lookup of LastApplied carries.
const keysPerQuery = 500

// lookupApplied is the query for n keys: the keys as a VALUES table
// (channel, sku, field, index into the chunk) driving primary-key lookups of
// applied.
func lookupApplied(n int) string {
	var b strings.Builder
	b.WriteString(`SELECT k.column4, a.value, a.run_id, a.applied_at, COALESCE(a.ref, '') FROM (VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?, ?, ?, ?)`)
	}
	// CROSS JOIN keeps the keys the outer loop.
	b.WriteString(`) AS k CROSS JOIN applied AS a
		ON a.channel = k.column1 AND a.sku = k.column2 AND a.field = k.column3`)
	return b.String()
}

// found is a row of lookupApplied.
type found struct {
	key   int
	value sql.NullString
	run   int64
	at    int64
	ref   string
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
		// Revisions are few and shared by many rows: each is read once.
		revisions := map[int64]string{}
		var full *sql.Stmt
		defer func() {
			if full != nil {
				_ = full.Close()
			}
		}()
		args := make([]any, 0, min(len(keys), keysPerQuery)*4)
		var rows []found
		for start := 0; start < len(keys); start += keysPerQuery {
			chunk := keys[start:min(start+keysPerQuery, len(keys))]
			args = args[:0]
			for i, k := range chunk {
				args = append(args, k.Channel, k.SKU, k.Field, i)
			}
			var (
				rs  *sql.Rows
				err error
			)
			if len(chunk) < keysPerQuery {
				rs, err = tx.QueryContext(ctx, lookupApplied(len(chunk)), args...)
			} else {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, lookupApplied(keysPerQuery)); err != nil {
						return err
					}
				}
				rs, err = full.QueryContext(ctx, args...)
			}
			if err != nil {
				return err
			}
			if rows, err = scanFound(rs, rows[:0], len(chunk)); err != nil {
				return err
			}
			for _, f := range rows {
				rev, ok := revisions[f.run]
				if !ok {
					if err := tx.QueryRowContext(ctx, `SELECT revision FROM runs WHERE id = ?`, f.run).Scan(&rev); err != nil {
						return fmt.Errorf("run %d: %w", f.run, err)
					}
					revisions[f.run] = rev
				}
				out[chunk[f.key]] = Applied{Value: valueOf(f.value), Revision: rev, At: timeOf(f.at), Ref: adapters.Ref(f.ref)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: last applied: %w", err)
	}
	return out, nil
}

// scanFound appends the rows of lookupApplied for a chunk of n keys to dst.
func scanFound(rs *sql.Rows, dst []found, n int) ([]found, error) {
	defer rs.Close()
	for rs.Next() {
		var f found
		if err := rs.Scan(&f.key, &f.value, &f.run, &f.at, &f.ref); err != nil {
			return dst, err
		}
		if f.key < 0 || f.key >= n {
			return dst, fmt.Errorf("key index %d out of range", f.key)
		}
		dst = append(dst, f)
	}
	return dst, rs.Err()
}
