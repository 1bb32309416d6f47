package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Lease is the right to apply to the channels of this state, held by one
// process at a time: two applies (or a daemon and a person's apply) on one
// state never interleave their batches. The holder renews it while it
// works; a lease not renewed past Expires may be taken over, and recovery
// then settles what its holder left journaled.
type Lease struct {
	// ID names this holding; force-unlock takes it.
	ID string
	// Owner says who holds it, for people: "accord apply (ana@build-7, pid 4121)".
	Owner string
	// Host and PID identify the holding process.
	Host              string
	PID               int
	Acquired, Renewed time.Time
	Expires           time.Time
}

// LeaseHeldError is a lease another holder has.
type LeaseHeldError struct {
	Lease Lease
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("the state is locked by %s since %s (lease %s, until %s unless renewed)",
		e.Lease.Owner, e.Lease.Acquired.UTC().Format(time.RFC3339), e.Lease.ID, e.Lease.Expires.UTC().Format(time.RFC3339))
}

// ErrLeaseLost is a renewal or release of a lease that is no longer held
// (it expired and was taken over, or was force-unlocked).
var ErrLeaseLost = errors.New("the lease is no longer held")

// leaseName is the one lease of a state database.
const leaseName = "apply"

// LeaseRequest is who asks for the lease and for how long.
type LeaseRequest struct {
	Owner string
	Host  string
	PID   int
	TTL   time.Duration
	// Gone reports that the process holding a lease has ended (the same
	// host, a PID no longer running): its lease is taken over at once
	// instead of after it expires. Nil waits for expiry.
	Gone func(Lease) bool
}

// AcquireLease takes the lease when nobody holds it, when its holder let it
// expire, or when req.Gone says its holder has ended. Otherwise it returns
// a *LeaseHeldError naming the holder.
func (s *Store) AcquireLease(ctx context.Context, req LeaseRequest) (*Lease, error) {
	if req.TTL <= 0 {
		return nil, errors.New("store: acquire lease: no duration")
	}
	var out *Lease
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := readLease(ctx, tx)
		if err != nil {
			return err
		}
		now := s.now()
		if cur != nil && now.Before(cur.Expires) && (req.Gone == nil || !req.Gone(*cur)) {
			return &LeaseHeldError{Lease: *cur}
		}
		l := Lease{ID: newLeaseID(), Owner: req.Owner, Host: req.Host, PID: req.PID, Acquired: now, Renewed: now, Expires: now.Add(req.TTL)}
		_, err = tx.ExecContext(ctx, `INSERT INTO lease (name, id, owner, host, pid, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET id = excluded.id, owner = excluded.owner, host = excluded.host, pid = excluded.pid,
				acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
			leaseName, l.ID, l.Owner, l.Host, l.PID, l.Acquired.UnixNano(), l.Renewed.UnixNano(), l.Expires.UnixNano())
		out = &l
		return err
	})
	if err != nil {
		var held *LeaseHeldError
		if errors.As(err, &held) {
			return nil, err
		}
		return nil, fmt.Errorf("store: acquire lease: %w", err)
	}
	return out, nil
}

// RenewLease moves the lease's expiry to ttl from now. A lease that is no
// longer held is ErrLeaseLost: the holder must stop applying.
func (s *Store) RenewLease(ctx context.Context, id string, ttl time.Duration) (time.Time, error) {
	var expires time.Time
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		expires = now.Add(ttl)
		res, err := tx.ExecContext(ctx, `UPDATE lease SET renewed_at = ?, expires_at = ? WHERE name = ? AND id = ?`,
			now.UnixNano(), expires.UnixNano(), leaseName, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: renew lease %s: %w", id, err)
	}
	return expires, nil
}

// ReleaseLease gives the lease up. Releasing a lease no longer held is
// ErrLeaseLost.
func (s *Store) ReleaseLease(ctx context.Context, id string) error {
	if err := s.deleteLease(ctx, id); err != nil {
		return fmt.Errorf("store: release lease %s: %w", id, err)
	}
	return nil
}

// ForceUnlock removes the lease with the given ID whoever holds it, as
// Terraform's force-unlock does: for a holder that is gone without
// releasing it, on another machine. An unknown ID is ErrNotFound.
func (s *Store) ForceUnlock(ctx context.Context, id string) error {
	err := s.deleteLease(ctx, id)
	if errors.Is(err, ErrLeaseLost) {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: force-unlock %s: %w", id, err)
	}
	return nil
}

func (s *Store) deleteLease(ctx context.Context, id string) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM lease WHERE name = ? AND id = ?`, leaseName, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		return nil
	})
}

// CurrentLease returns the lease as recorded (perhaps expired), or nil when
// nobody holds it.
func (s *Store) CurrentLease(ctx context.Context) (*Lease, error) {
	var l *Lease
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = readLease(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: lease: %w", err)
	}
	return l, nil
}

func readLease(ctx context.Context, tx *sql.Tx) (*Lease, error) {
	var (
		l                          Lease
		acquired, renewed, expires int64
	)
	err := tx.QueryRowContext(ctx, `SELECT id, owner, host, pid, acquired_at, renewed_at, expires_at FROM lease WHERE name = ?`, leaseName).
		Scan(&l.ID, &l.Owner, &l.Host, &l.PID, &acquired, &renewed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l.Acquired, l.Renewed, l.Expires = timeOf(acquired), timeOf(renewed), timeOf(expires)
	return &l, nil
}

// newLeaseID is a short random ID, easy to type into force-unlock.
func newLeaseID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
