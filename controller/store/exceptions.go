package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
)

// Exception is a condition that needs a person's attention: drift,
// oversell_risk, price_parity, map_violation, unmanaged_listing,
// missing_listing, apply_failed...
//
// An exception is known by its (Code, Channel, SKU, Field): there is at most
// one unresolved exception of each, and seeing it again refreshes it. Once
// resolved it is history, and seeing it again opens a new one.
type Exception struct {
	ID                  int64
	Code                string
	Channel, SKU, Field string // SKU and Field may be ""
	Observed, Expected  adapters.Value
	Action              string // "report", "correct", "" ...
	Message             string
	Status              string // "open", "acknowledged", "resolved"
	Revision            string
	FirstSeen, LastSeen time.Time
	ResolvedAt          time.Time // zero while not resolved
	// Note is what a person wrote when acknowledging or resolving it, and
	// AcknowledgedAt when it was acknowledged (zero if never).
	Note           string
	AcknowledgedAt time.Time
}

// Scope is what one reconcile looked at: the channels it observed and,
// unless SKUs is nil (every SKU), the catalog SKUs. Exceptions outside it
// are neither refreshed nor resolved.
type Scope struct {
	Channels []string
	SKUs     []string
}

// The statuses of an exception.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// ExceptionFilter selects exceptions.
type ExceptionFilter struct {
	Status  string // "" = unresolved (open and acknowledged); "all" = every status
	Channel string // "" = any
	Code    string // "" = any
}

// SyncExceptions records the exceptions one reconcile saw in its scope. A
// seen exception with no unresolved row of the same (code, channel, sku,
// field) is opened; an unresolved one (open or acknowledged) gets its last
// seen time, revision, observed and expected values, action and message
// updated, its status and note kept. An unresolved exception in scope that
// is not among seen is resolved, unless its code is listed in keep
// (apply_failed, say, which only an apply settles). With scope.SKUs set,
// only exceptions of those SKUs are in scope: a reconcile of one SKU says
// nothing of the others, nor of the channel as a whole. It returns how many
// exceptions it opened and resolved.
func (s *Store) SyncExceptions(ctx context.Context, revision string, scope Scope, seen []Exception, keep []string) (opened, resolved int, err error) {
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		now := s.stamp()
		touched := make(map[int64]bool, len(seen))
		var err error
		if opened, err = refreshExceptions(ctx, tx, revision, now, seen, touched); err != nil {
			return err
		}
		kept := make(map[string]bool, len(keep))
		for _, code := range keep {
			kept[code] = true
		}
		var skus map[string]bool
		if scope.SKUs != nil {
			skus = make(map[string]bool, len(scope.SKUs))
			for _, sku := range scope.SKUs {
				skus[sku] = true
			}
		}
		var stale []int64
		for _, channel := range scope.Channels {
			err := eachOpen(ctx, tx, channel, func(id int64, code, sku string) {
				if skus != nil && !skus[sku] {
					return
				}
				if !touched[id] && !kept[code] {
					stale = append(stale, id)
					touched[id] = true // a channel listed twice in scope
				}
			})
			if err != nil {
				return err
			}
		}
		if len(stale) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `UPDATE exceptions SET status = 'resolved', resolved_at = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range stale {
			if _, err := stmt.ExecContext(ctx, now, id); err != nil {
				return err
			}
		}
		resolved = len(stale)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: sync exceptions: %w", err)
	}
	return opened, resolved, nil
}

// AddExceptions opens (or refreshes, as SyncExceptions does) exceptions
// without resolving any others: apply_failed after an apply, say.
func (s *Store) AddExceptions(ctx context.Context, revision string, ex []Exception) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := refreshExceptions(ctx, tx, revision, s.stamp(), ex, map[int64]bool{})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add exceptions: %w", err)
	}
	return nil
}

// refreshExceptions opens or refreshes each of ex, adds the ids to touched
// and returns how many it opened.
func refreshExceptions(ctx context.Context, tx *sql.Tx, revision string, now int64, ex []Exception, touched map[int64]bool) (opened int, err error) {
	if len(ex) == 0 {
		return 0, nil
	}
	update, err := tx.PrepareContext(ctx, `UPDATE exceptions
		SET last_seen = ?, revision = ?, observed = ?, expected = ?, action = ?, message = ?
		WHERE code = ? AND channel = ? AND sku = ? AND field = ? AND status <> 'resolved'
		RETURNING id`)
	if err != nil {
		return 0, err
	}
	defer update.Close()
	insert, err := tx.PrepareContext(ctx, `INSERT INTO exceptions
		(code, channel, sku, field, observed, expected, action, message, status, revision, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)
		RETURNING id`)
	if err != nil {
		return 0, err
	}
	defer insert.Close()
	for _, e := range ex {
		if e.Code == "" || e.Channel == "" {
			return opened, fmt.Errorf("exception %q on channel %q: a code and a channel are required", e.Code, e.Channel)
		}
		var id int64
		err := update.QueryRowContext(ctx, now, revision, textArg(e.Observed), textArg(e.Expected), e.Action, e.Message,
			e.Code, e.Channel, e.SKU, e.Field).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = insert.QueryRowContext(ctx, e.Code, e.Channel, e.SKU, e.Field, textArg(e.Observed), textArg(e.Expected),
				e.Action, e.Message, revision, now, now).Scan(&id)
			if err == nil {
				opened++
			}
		}
		if err != nil {
			return opened, fmt.Errorf("exception %s on %s: %w", e.Code, describe(e.Channel, e.SKU, e.Field), err)
		}
		touched[id] = true
	}
	return opened, nil
}

// describe names a channel, SKU and field for a message: "shop A-1 price".
func describe(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return strings.Join(nonEmpty, " ")
}

// Exceptions returns the exceptions f selects ordered by channel, SKU,
// field and code (and, among resolved ones of the same, by id).
func (s *Store) Exceptions(ctx context.Context, f ExceptionFilter) ([]Exception, error) {
	var (
		where []string
		args  []any
	)
	switch f.Status {
	case "":
		where = append(where, `status <> 'resolved'`)
	case "all":
	case StatusOpen, StatusAcknowledged, StatusResolved:
		where = append(where, `status = ?`)
		args = append(args, f.Status)
	default:
		return nil, fmt.Errorf("store: exceptions: unknown status %q (want open, acknowledged, resolved, all or empty)", f.Status)
	}
	if f.Channel != "" {
		where = append(where, `channel = ?`)
		args = append(args, f.Channel)
	}
	if f.Code != "" {
		where = append(where, `code = ?`)
		args = append(args, f.Code)
	}
	q := `SELECT ` + exceptionColumns + ` FROM exceptions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `) //nolint:gosec // G202: constant conditions joined; values are bound as parameters
	}
	q += ` ORDER BY channel, sku, field, code, id`
	var out []Exception
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanException(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: exceptions: %w", err)
	}
	return out, nil
}

const exceptionColumns = `id, code, channel, sku, field, observed, expected, action, message, status, revision,
	first_seen, last_seen, resolved_at, note, acknowledged_at`

// scanException reads a row of exceptionColumns.
func scanException(row interface{ Scan(...any) error }) (Exception, error) {
	var (
		e                  Exception
		observed, expected sql.NullString
		first, last        int64
		resolvedAt, acked  sql.NullInt64
	)
	if err := row.Scan(&e.ID, &e.Code, &e.Channel, &e.SKU, &e.Field, &observed, &expected, &e.Action, &e.Message,
		&e.Status, &e.Revision, &first, &last, &resolvedAt, &e.Note, &acked); err != nil {
		return e, err
	}
	e.Observed, e.Expected = valueOf(observed), valueOf(expected)
	e.FirstSeen, e.LastSeen, e.ResolvedAt, e.AcknowledgedAt = timeOf(first), timeOf(last), nullTimeOf(resolvedAt), nullTimeOf(acked)
	return e, nil
}

// Exception returns one exception by id; an unknown id is an error wrapping
// ErrNotFound.
func (s *Store) Exception(ctx context.Context, id int64) (Exception, error) {
	var e Exception
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = scanException(tx.QueryRowContext(ctx, `SELECT `+exceptionColumns+` FROM exceptions WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return Exception{}, fmt.Errorf("store: exception %d: %w", id, err)
	}
	return e, nil
}

// Acknowledge marks an unresolved exception acknowledged, with the note
// (kept when empty): a person has seen it, and it stays acknowledged while
// the condition lasts. An unknown id is an error wrapping ErrNotFound, a
// resolved exception one wrapping ErrResolved.
func (s *Store) Acknowledge(ctx context.Context, id int64, note string) error {
	err := s.settle(ctx, id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE exceptions SET status = 'acknowledged',
			acknowledged_at = COALESCE(acknowledged_at, ?), note = CASE WHEN ? = '' THEN note ELSE ? END WHERE id = ?`,
			s.stamp(), note, note, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: acknowledge exception %d: %w", id, err)
	}
	return nil
}

// Resolve resolves an unresolved exception by hand, with the note: the
// person says it is dealt with. Should the condition be seen again, a new
// exception opens. Errors as Acknowledge's.
func (s *Store) Resolve(ctx context.Context, id int64, note string) error {
	err := s.settle(ctx, id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE exceptions SET status = 'resolved', resolved_at = ?,
			note = CASE WHEN ? = '' THEN note ELSE ? END WHERE id = ?`, s.stamp(), note, note, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: resolve exception %d: %w", id, err)
	}
	return nil
}

// settle runs update on an exception that exists and is not resolved.
func (s *Store) settle(ctx context.Context, id int64, update func(tx *sql.Tx) error) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM exceptions WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if status == StatusResolved {
			return ErrResolved
		}
		return update(tx)
	})
}

// eachOpen calls fn with the ID, code and SKU of every exception of
// channel that is not resolved.
func eachOpen(ctx context.Context, tx *sql.Tx, channel string, fn func(id int64, code, sku string)) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, code, sku FROM exceptions WHERE channel = ? AND status <> 'resolved'`, channel)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id        int64
			code, sku string
		)
		if err := rows.Scan(&id, &code, &sku); err != nil {
			return err
		}
		fn(id, code, sku)
	}
	return rows.Err()
}

// RecordSettled records exceptions a reconcile saw and settled at once (a
// drift it corrected): one still unresolved is resolved, and one that was
// not open is opened and resolved in the same moment, so that the history
// keeps every out-of-band edit accord undid.
func (s *Store) RecordSettled(ctx context.Context, revision string, ex []Exception) error {
	if len(ex) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		now := s.stamp()
		update, err := tx.PrepareContext(ctx, `UPDATE exceptions
			SET status = 'resolved', resolved_at = ?1, last_seen = ?1, revision = ?2, observed = ?3, expected = ?4, action = ?5, message = ?6
			WHERE code = ?7 AND channel = ?8 AND sku = ?9 AND field = ?10 AND status <> 'resolved'`)
		if err != nil {
			return err
		}
		defer update.Close()
		insert, err := tx.PrepareContext(ctx, `INSERT INTO exceptions
			(code, channel, sku, field, observed, expected, action, message, status, revision, first_seen, last_seen, resolved_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'resolved', ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insert.Close()
		for _, e := range ex {
			if e.Code == "" || e.Channel == "" {
				return fmt.Errorf("exception %q on channel %q: a code and a channel are required", e.Code, e.Channel)
			}
			res, err := update.ExecContext(ctx, now, revision, textArg(e.Observed), textArg(e.Expected), e.Action, e.Message, e.Code, e.Channel, e.SKU, e.Field)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				continue
			}
			if _, err := insert.ExecContext(ctx, e.Code, e.Channel, e.SKU, e.Field, textArg(e.Observed), textArg(e.Expected),
				e.Action, e.Message, revision, now, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: record settled exceptions: %w", err)
	}
	return nil
}
