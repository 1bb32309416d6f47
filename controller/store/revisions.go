package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/accordhq/accord/adapters"
)

// Revision is one change accord sent to a listing of a channel that
// limits a listing's revisions a day (adapters.RevisionLimited).
type Revision struct {
	// SKU is the catalog SKU, Field the change's name (price, quantity, a
	// listing field).
	SKU, Field string
	From, To   adapters.Value
}

// RevisionDay is what accord sent to one listing on one day, in order.
type RevisionDay struct {
	Moves []Revision
}

// Count is how many revisions the listing had that day.
func (d RevisionDay) Count() int { return len(d.Moves) }

// RevisionsOn returns what was sent to the given SKUs of channel on day
// (the channel's calendar day, "2006-01-02"), by SKU; SKUs with nothing
// sent are left out.
func (s *Store) RevisionsOn(ctx context.Context, channel, day string, skus []string) (map[string]RevisionDay, error) {
	out := map[string]RevisionDay{}
	for start := 0; start < len(skus); start += keysPerQuery {
		if err := s.revisionsOn(ctx, channel, day, skus[start:min(start+keysPerQuery, len(skus))], out); err != nil {
			return nil, fmt.Errorf("store: revisions of %s on %s: %w", channel, day, err)
		}
	}
	return out, nil
}

// revisionsOn reads one chunk of SKUs into out.
func (s *Store) revisionsOn(ctx context.Context, channel, day string, chunk []string, out map[string]RevisionDay) error {
	args := make([]any, 0, len(chunk)+2)
	args = append(args, channel, day)
	for _, sku := range chunk {
		args = append(args, sku)
	}
	in := "?" + strings.Repeat(",?", len(chunk)-1)
	q := `SELECT sku, field, from_value, to_value FROM revisions WHERE channel = ? AND day = ? AND sku IN (` + in + `) ORDER BY sku, seq` //nolint:gosec // G202: placeholders only; values are bound as parameters
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var r Revision
		var from, to sql.NullString
		if err := rows.Scan(&r.SKU, &r.Field, &from, &to); err != nil {
			return err
		}
		r.From = adapters.Value{Text: from.String, Set: from.Valid}
		r.To = adapters.Value{Text: to.String, Set: to.Valid}
		d := out[r.SKU]
		d.Moves = append(d.Moves, r)
		out[r.SKU] = d
	}
	return rows.Err()
}

// SpendRevisions records revisions of channel's listings on day, before
// they are sent, and returns each one's number among its listing's
// revisions that day (for RefundRevisions): a revision whose outcome is
// unknown counts, as the channel may have taken it. Days before keepFrom
// ("2006-01-02"; "" keeps all) are forgotten on the way.
func (s *Store) SpendRevisions(ctx context.Context, channel, day, keepFrom string, revs []Revision) ([]int64, error) {
	if len(revs) == 0 {
		return nil, nil
	}
	seqs := make([]int64, len(revs))
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if keepFrom != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM revisions WHERE day < ?`, keepFrom); err != nil {
				return err
			}
		}
		next, err := tx.PrepareContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM revisions WHERE channel = ? AND sku = ? AND day = ?`)
		if err != nil {
			return err
		}
		defer next.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO revisions (channel, sku, day, seq, field, from_value, to_value, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		now := s.stamp()
		for i, r := range revs {
			var seq int64
			if err := next.QueryRowContext(ctx, channel, r.SKU, day).Scan(&seq); err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, channel, r.SKU, day, seq+1, r.Field, textArg(r.From), textArg(r.To), now); err != nil {
				return err
			}
			seqs[i] = seq + 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: spend revisions of %s on %s: %w", channel, day, err)
	}
	return seqs, nil
}

// Spent names one revision SpendRevisions recorded.
type Spent struct {
	SKU string
	Seq int64
}

// RefundRevisions forgets revisions of channel's listings on day that
// the channel certainly did not take (it refused the change, or failed it
// before taking it), so that they do not count against the day's limit.
func (s *Store) RefundRevisions(ctx context.Context, channel, day string, spent []Spent) error {
	if len(spent) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM revisions WHERE channel = ? AND sku = ? AND day = ? AND seq = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, sp := range spent {
			if _, err := del.ExecContext(ctx, channel, sp.SKU, day, sp.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: refund revisions of %s on %s: %w", channel, day, err)
	}
	return nil
}
