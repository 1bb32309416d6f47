// Package store is accord's state: an embedded SQLite database (through the
// pure-Go modernc.org/sqlite driver) holding the last value accord applied to
// each field of each listing and the spec revision that set it, the apply
// journal (runs and the batches they send, so an apply cut short by a crash
// can be recovered), the audit log of every change that landed, and the
// exceptions that need a person's attention with their lifecycle (open,
// acknowledged, resolved).
//
// The store records; it does not decide. Diffing, planning, applying and
// working out which exceptions a reconcile saw belong to the controller.
//
// A Store is safe for concurrent use. Writes are serialised inside the Store
// (and across processes by SQLite's write lock, waited for up to five
// seconds); reads run concurrently with each other and with a write, each on
// its own consistent snapshot.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/accordhq/accord/adapters"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Errors callers may branch on with errors.Is.
var (
	// ErrNotFound is an unknown run, batch or exception id.
	ErrNotFound = errors.New("not found")
	// ErrNotPending is a batch that was already completed or recovered.
	ErrNotPending = errors.New("batch is not pending")
	// ErrResolved is an exception that was already resolved.
	ErrResolved = errors.New("exception is resolved")
	// ErrNewerSchema is a database whose schema a newer build of accord
	// wrote.
	ErrNewerSchema = errors.New("the database was written by a newer accord")
)

// busyTimeout is how long a statement waits for another connection's (or
// process's) write lock before it fails with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is an open state database.
type Store struct {
	db  *sql.DB
	now func() time.Time
	// write is held (a token sent into it) by the one write transaction
	// that may run at a time. Serialising writes here rather than in
	// SQLite's busy handler means a writer waits exactly as long as the one
	// before it takes, instead of sleeping and polling, and gives up when
	// its context ends.
	write chan struct{}
	// wconn is the connection every write transaction runs on, taken while
	// write is held. SQLite drops a connection's page cache whenever
	// another connection has written since its last transaction; on one
	// writing connection the cache stays warm from batch to batch, so an
	// apply of 600k changes reads its indexes' pages once instead of at
	// every batch.
	wconn *sql.Conn
	// sent holds the changes of batches journaled and not yet completed.
	sent sentBatches
}

// Open opens the state database at path, creating it and its parent
// directories if needed, and brings its schema up to date. It sets WAL
// journal mode, synchronous=NORMAL (a committed transaction survives the
// process dying; the last ones may be lost to a power cut), foreign keys and
// a five second busy timeout. now is the clock for every timestamp the store
// writes; nil means time.Now.
//
// A database whose schema version is newer than this build knows is refused
// with an error that wraps ErrNewerSchema.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open: no path")
	}
	if now == nil {
		now = time.Now
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, now: now, write: make(chan struct{}, 1)}
	// Two processes creating one database at the same moment meet while
	// it switches to WAL, a lock SQLite's busy timeout does not wait for:
	// the loser tries again shortly.
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		err := s.migrate(ctx)
		if err != nil && !isBusy(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: 20 * time.Millisecond, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: time.Second}),
		backoff.WithMaxElapsedTime(15*time.Second))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// ErrNoState is a state database that does not exist yet.
var ErrNoState = errors.New("no state yet")

// OpenExisting opens the state database at path for a command that only
// reads it (or settles what is in it): a database that does not exist is
// an error wrapping ErrNoState, and nothing is created.
func OpenExisting(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %s: %w", path, ErrNoState)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return Open(ctx, path, now)
}

// isBusy reports SQLite's "database is locked".
func isBusy(err error) bool {
	return strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "database is locked")
}

// dsn is the driver's name for the database file at the absolute path abs:
// a file: URI (so that '?', '#' and '%' in the path are escaped, not taken
// for a query) with the connection's pragmas as _pragma parameters, which
// the driver runs on every connection it opens. Write transactions begin
// IMMEDIATE: they take the write lock up front, under the busy timeout,
// instead of failing when a read lock cannot be upgraded.
func dsn(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:/C:/...
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Statement journals and sorts in memory, not in temporary files.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database. Calls in progress fail.
func (s *Store) Close() error {
	s.write <- struct{}{} // wait for a write in progress
	if s.wconn != nil {
		_ = s.wconn.Close()
		s.wconn = nil
	}
	<-s.write
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// SchemaVersion returns the version of the database's schema: the number of
// migrations applied to it.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

// queryer is what a *sql.DB and a *sql.Tx share.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrate applies the migrations the database lacks, each in its own
// transaction that also records it.
func (s *Store) migrate(ctx context.Context) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		done := false
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			// Read the version inside the write transaction: another
			// process may have migrated since.
			v, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			switch {
			case v > len(migrations):
				return fmt.Errorf("%w: its schema version is %d, this build knows versions up to %d; upgrade accord", ErrNewerSchema, v, len(migrations))
			case v == len(migrations):
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("to version %d: %w", v+1, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v+1, s.stamp())
			return err
		})
		if errors.Is(err, ErrNewerSchema) {
			return err
		}
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			return nil
		}
	}
}

// writeTx runs fn in a write transaction, the only one of this Store at the
// time, and commits it if fn returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.write <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.write }()
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// writeCacheKiB is the page cache of the writing connection: enough for the
// inner pages and the recently written leaves of every index an apply
// writes.
const writeCacheKiB = 64 << 10

// checkpointPages is how long the write-ahead log grows (in 4 KiB pages)
// before a commit copies it into the database. SQLite's default, 1000, means
// a checkpoint every other batch of an apply, each copying the same index
// pages again; at 16k pages (64 MiB) a page written by many batches is
// copied once.
const checkpointPages = 16384

// beginWrite begins a transaction on the writing connection, opening it
// first (and again, should it have failed). The caller holds s.write.
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	for attempt := 0; ; attempt++ {
		if s.wconn == nil {
			conn, err := s.db.Conn(ctx)
			if err != nil {
				return nil, err
			}
			for _, pragma := range []string{
				fmt.Sprintf("PRAGMA cache_size = -%d", writeCacheKiB),
				fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", checkpointPages),
			} {
				if _, err := conn.ExecContext(ctx, pragma); err != nil {
					_ = conn.Close()
					return nil, err
				}
			}
			s.wconn = conn
		}
		tx, err := s.wconn.BeginTx(ctx, nil)
		if err == nil || attempt > 0 || ctx.Err() != nil {
			return tx, err
		}
		// A connection that broke is dropped and another one opened.
		_ = s.wconn.Close()
		s.wconn = nil
	}
}

// readTx runs fn in a read-only transaction: one snapshot of the database
// however many queries fn makes.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

// stamp is the time now as stored: nanoseconds since the Unix epoch (UTC).
func (s *Store) stamp() int64 { return s.now().UnixNano() }

// timeOf is a stored time.
func timeOf(nanos int64) time.Time { return time.Unix(0, nanos).UTC() }

// nullTimeOf is a stored time that may be NULL (the zero time).
func nullTimeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return timeOf(n.Int64)
}

// textArg is a Value as a statement argument: its text, or NULL.
func textArg(v adapters.Value) any {
	if !v.Set {
		return nil
	}
	return v.Text
}

// valueOf is a stored Value.
func valueOf(s sql.NullString) adapters.Value {
	if !s.Valid {
		return adapters.Null
	}
	return adapters.Value{Text: s.String, Set: true}
}
