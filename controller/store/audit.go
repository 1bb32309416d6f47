package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
)

// AuditEntry is one applied change.
type AuditEntry struct {
	ID                  int64
	RunID               int64
	Revision            string
	Channel, SKU, Field string
	From, To            adapters.Value
	Reason              string
	At                  time.Time
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Channel, SKU string // "" = any
	RunID        int64  // 0 = any
	Limit        int    // the most recent Limit entries; 0 = no limit
}

// Audit returns the audit entries f selects, oldest first. With a Limit it
// returns the most recent Limit of them (still oldest first).
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	if f.Channel != "" {
		where = append(where, `a.channel = ?`)
		args = append(args, f.Channel)
	}
	if f.SKU != "" {
		where = append(where, `a.sku = ?`)
		args = append(args, f.SKU)
	}
	if f.RunID != 0 {
		where = append(where, `a.run_id = ?`)
		args = append(args, f.RunID)
	}
	q := `SELECT a.id, a.run_id, r.revision, a.channel, a.sku, a.field, a.from_value, a.to_value, a.reason, a.at
		FROM audit AS a JOIN runs AS r ON r.id = a.run_id`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `) //nolint:gosec // G202: constant conditions joined; values are bound as parameters
	}
	if f.Limit > 0 {
		q += ` ORDER BY a.id DESC LIMIT ?`
		args = append(args, f.Limit)
	} else {
		q += ` ORDER BY a.id`
	}
	var entries []AuditEntry
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e        AuditEntry
				from, to sql.NullString
				at       int64
			)
			if err := rows.Scan(&e.ID, &e.RunID, &e.Revision, &e.Channel, &e.SKU, &e.Field, &from, &to, &e.Reason, &at); err != nil {
				return err
			}
			e.From, e.To, e.At = valueOf(from), valueOf(to), timeOf(at)
			entries = append(entries, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	if f.Limit > 0 {
		slices.Reverse(entries)
	}
	return entries, nil
}
