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
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/accordhq/accord/adapters"

	sqlite "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
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
	// checked is set when Open ran the integrity check.
	checked bool
}

// Open opens the state database at path, creating it and its parent
// directories if needed, and brings its schema up to date. It sets WAL
// journal mode, synchronous=NORMAL (a committed transaction survives the
// process dying; the last ones may be lost to a power cut), foreign keys and
// a five second busy timeout. now is the clock for every timestamp the store
// writes; nil means time.Now.
//
// A file that is there but is not accord's (empty, not SQLite, or a SQLite
// database with tables and no schema_migrations) is refused with an error
// wrapping ErrNotState, and left as it was: migrating it would start a new
// history in its place without anyone deciding to (Init does that on
// purpose). A database that was not closed cleanly (its write-ahead log is
// still there) goes through SQLite's integrity check first, and one that
// fails it, or whose pages cannot be read, is refused with an error wrapping
// ErrCorrupt. A database whose schema version is newer than this build knows
// is refused with an error that wraps ErrNewerSchema.
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
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		// A log without its database is the state moved or deleted while
		// in use: creating a database beside it would replay the log into
		// it. openChecked says so.
		if walSize(abs) == 0 {
			if err := create(ctx, abs, now); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("store: open %s: %w", path, err)
			}
		}
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return openChecked(ctx, path, abs, now)
}

// ErrNoState is a state database that does not exist yet.
var ErrNoState = errors.New("no state yet")

// OpenExisting opens the state database at path for a command that only
// reads it (or settles what is in it): a database that does not exist is
// an error wrapping ErrNoState, and nothing is created. Otherwise it checks
// what it opens as Open does.
func OpenExisting(ctx context.Context, path string, now func() time.Time) (*Store, error) {
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
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) && walSize(abs) == 0 {
		return nil, fmt.Errorf("store: %s: %w", path, ErrNoState)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return openChecked(ctx, path, abs, now)
}

// ErrNotState is a file where the state database should be that is not
// one: an empty file, a file that is not SQLite, a SQLite database that is
// not accord's. Nothing is created or migrated in its place.
var ErrNotState = errors.New("not an accord state database")

// ErrCorrupt is a state database SQLite finds damaged: it failed the
// integrity check that follows an unclean shutdown, or its pages cannot be
// read.
var ErrCorrupt = errors.New("the state database is damaged")

// ErrExists is what Init finds at its path without force: a database, or
// any other file, whose history starting anew would lose.
var ErrExists = errors.New("a file is already there")

// Found is what a state database's path holds, as Open and Init find it.
type Found int

// What a state database's path may hold.
const (
	// FoundNothing is no file.
	FoundNothing Found = iota
	// FoundEmpty is a file of no bytes, as a failed copy, a full disk or
	// a truncating editor leaves.
	FoundEmpty
	// FoundBlank is a SQLite database with no tables: it holds no history,
	// and Open brings it up to date like a new one.
	FoundBlank
	// FoundState is an accord state database.
	FoundState
	// FoundForeign is a SQLite database with tables, and no
	// schema_migrations among them: someone else's.
	FoundForeign
	// FoundNotSQLite is a file that is not a SQLite database.
	FoundNotSQLite
	// FoundDamaged is a SQLite database whose schema cannot be read.
	FoundDamaged
	// FoundOrphanLog is a write-ahead log (PATH-wal) without its database
	// (none, or an empty file): the database was moved, deleted or
	// truncated while in use.
	FoundOrphanLog
)

func (f Found) String() string {
	switch f {
	case FoundNothing:
		return "nothing"
	case FoundEmpty:
		return "an empty file"
	case FoundBlank:
		return "a SQLite database with no tables"
	case FoundState:
		return "an accord state database"
	case FoundForeign:
		return "a SQLite database without accord's schema"
	case FoundNotSQLite:
		return "a file that is not a SQLite database"
	case FoundDamaged:
		return "a damaged SQLite database"
	case FoundOrphanLog:
		return "a write-ahead log without its database"
	}
	return fmt.Sprintf("Found(%d)", int(f))
}

// holdsHistory reports whether starting anew at a path that holds f loses
// something, so that Init wants force.
func (f Found) holdsHistory() bool {
	return f != FoundNothing && f != FoundEmpty && f != FoundBlank
}

// Moved is a file Init moved aside.
type Moved struct{ From, To string }

// InitResult is what Init found and did.
type InitResult struct {
	// Found is what the path held before.
	Found Found
	// Moved are the files moved aside, the database first, then its -wal
	// and -shm if there were any: PATH.bak-TIME, PATH.bak-TIME-wal...,
	// names under which SQLite opens them together again.
	Moved []Moved
}

// Init creates a new state database at path on purpose: a new history.
// Where there is nothing, or an empty file (or a SQLite database with no
// tables), it creates the database in its place. Anything else (an accord
// state database, someone else's database, a file that is not SQLite, a
// write-ahead log left without its database) is refused with an error
// wrapping ErrExists unless force is set; with force, the file and its -wal
// and -shm are moved aside to PATH.bak-TIME (TIME from now, in UTC) first,
// never over an earlier backup. now is also the clock of the new database,
// as for Open; nil means time.Now.
func Init(ctx context.Context, path string, now func() time.Time, force bool) (InitResult, error) {
	if path == "" {
		return InitResult{}, errors.New("store: init: no path")
	}
	if now == nil {
		now = time.Now
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return InitResult{}, fmt.Errorf("store: init %s: %w", path, err)
	}
	found, err := inspect(ctx, abs, walSize(abs) > 0, false)
	if err != nil {
		return InitResult{}, fmt.Errorf("store: init %s: %w", path, err)
	}
	res := InitResult{Found: found}
	switch {
	case found == FoundNothing:
	case !found.holdsHistory():
		// Nothing to keep: the empty file (or blank database) and any
		// empty log or stale index beside it make way.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(abs + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return res, fmt.Errorf("store: init %s: %w", path, err)
			}
		}
	case !force:
		return res, fmt.Errorf("store: init %s: %w: %s", path, ErrExists, found)
	default:
		res.Moved, err = moveAside(path, now().UTC().Format("20060102T150405Z"))
		if err != nil {
			return res, fmt.Errorf("store: init %s: moving %s aside: %w", path, found, err)
		}
	}
	if err := create(ctx, abs, now); err != nil {
		if errors.Is(err, fs.ErrExist) {
			err = errors.New("another process created it meanwhile")
		}
		return res, fmt.Errorf("store: init %s: %w", path, err)
	}
	return res, nil
}

// moveAside renames path and its -wal and -shm, those that exist, to
// path.bak-stamp with the same suffixes: all or, when a backup of that name
// is there already, none.
func moveAside(path, stamp string) ([]Moved, error) {
	bak := path + ".bak-" + stamp
	var moves []Moved
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(bak + suffix); err == nil {
			return nil, fmt.Errorf("%s is there already; keeping it, and %s where it is", bak+suffix, path)
		}
		moves = append(moves, Moved{From: path + suffix, To: bak + suffix})
	}
	// The database first: a process opening the path in between finds
	// the log without its database and refuses it.
	for i, m := range moves {
		if err := os.Rename(m.From, m.To); err != nil {
			return moves[:i], fmt.Errorf("move aside: %w", err)
		}
	}
	return moves, nil
}

// create makes a new state database at abs, where nothing is: built and
// migrated under a temporary name beside it, and linked into place once
// complete, so that nobody opening the path meanwhile finds an empty file
// (which Open refuses). When another process put a file there first, the
// error wraps fs.ErrExist.
func create(ctx context.Context, abs string, now func() time.Time) (err error) {
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(abs)+".new-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		// The link keeps the new database under its name; the log and
		// index are gone after a clean close, unless it failed.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if rerr := os.Remove(tmp + suffix); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
				err = rerr
			}
		}
	}()
	if err := f.Close(); err != nil {
		return err
	}
	s, err := openDB(ctx, tmp, now)
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, abs); err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// A file system without hard links: a rename, which would replace a
	// file created since the check just above (a narrow window, only
	// there).
	if _, err := os.Lstat(abs); err == nil {
		return fmt.Errorf("%s: %w", abs, fs.ErrExist)
	}
	return os.Rename(tmp, abs)
}

// openChecked opens the existing state database at abs (path as the
// caller gave it, for messages) after checking what it is.
func openChecked(ctx context.Context, path, abs string, now func() time.Time) (*Store, error) {
	// Read before anything opens the database: SQLite deletes the log when
	// the last connection closes cleanly, so a log with frames in it now
	// was left by a process that died (or belongs to one still running,
	// when the check costs time but finds nothing).
	unclean := walSize(abs) > 0 && !leaseHeld(ctx, abs, now)
	found, err := inspect(ctx, abs, unclean, unclean)
	if errors.Is(err, ErrCorrupt) {
		return nil, fmt.Errorf("store: %s: %w; %s", path, err, advice(path, true))
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	switch found {
	case FoundBlank, FoundState:
	case FoundNothing:
		return nil, fmt.Errorf("store: %s: %w", path, ErrNoState)
	case FoundDamaged:
		return nil, fmt.Errorf("store: %s: %w (its schema cannot be read); %s", path, ErrCorrupt, advice(path, true))
	default:
		return nil, fmt.Errorf("store: %s: %w (found %s); %s", path, ErrNotState, found, advice(path, found.holdsHistory()))
	}
	s, err := openDB(ctx, abs, now)
	if isCorrupt(err) {
		return nil, fmt.Errorf("store: %s: %w: %w; %s", path, ErrCorrupt, err, advice(path, true))
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.checked = unclean
	return s, nil
}

// leaseHeld reports whether a live process holds the database's lease
// (an apply, a daemon): then a log with frames in it is that process's,
// not one a crash left, and the integrity check, which would read the
// whole database, is spared. A lease of this host is held while its
// process runs; one of another host, until it expires.
func leaseHeld(ctx context.Context, abs string, now func() time.Time) bool {
	if now == nil {
		now = time.Now
	}
	db, err := sql.Open("sqlite", checkDSN(abs, true))
	if err != nil {
		return false
	}
	defer func() { _ = db.Close() }()
	var (
		host    string
		pid     int
		expires int64
	)
	err = db.QueryRowContext(ctx, `SELECT host, pid, expires_at FROM lease WHERE name = ?`, leaseName).Scan(&host, &pid, &expires)
	if err != nil {
		return false // no lease table (an older schema), no lease, or unreadable: check
	}
	if self, _ := os.Hostname(); host == self {
		return ProcessAlive(pid)
	}
	return now().Before(timeOf(expires))
}

// advice is what to do about a state database that is refused: restore
// it, or start anew on purpose.
func advice(path string, force bool) string {
	cmd := "accord state init --state " + shellQuote(path)
	if force {
		cmd = "accord state init --force --state " + shellQuote(path) + " (which moves it aside)"
	}
	return "restore it from a backup, or start a new history on purpose with " + cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// openDB opens the database at abs with the store's settings and migrates
// it.
func openDB(ctx context.Context, abs string, now func() time.Time) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, now: now, write: make(chan struct{}, 1)}
	// Two processes opening one new database at the same moment meet
	// while it switches to WAL, a lock SQLite's busy timeout does not
	// wait for: the loser tries again shortly.
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
		return nil, err
	}
	return s, nil
}

// IntegrityChecked reports whether Open ran SQLite's integrity check on
// the database, as it does when the database was not closed cleanly.
func (s *Store) IntegrityChecked() bool { return s.checked }

// sqliteHeader begins every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// maxProblems is how many of the integrity check's findings an error
// quotes.
const maxProblems = 5

// inspect says what the path abs holds. It reads a database through a
// read-only connection of its own (checkDSN), which leaves a database that
// is not accord's as it was. unclean says that a log with frames in it is
// beside the database, which the connection then reads through; with
// integrity too, an accord database goes through PRAGMA integrity_check,
// and an error wrapping ErrCorrupt quotes the first problems it finds.
func inspect(ctx context.Context, abs string, unclean, integrity bool) (Found, error) {
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if walSize(abs) > 0 {
			return FoundOrphanLog, nil
		}
		return FoundNothing, nil
	case err != nil:
		return 0, err
	case fi.IsDir():
		return 0, errors.New("it is a directory")
	case fi.Size() == 0:
		if walSize(abs) > 0 {
			return FoundOrphanLog, nil
		}
		return FoundEmpty, nil
	}
	if ok, err := hasSQLiteHeader(abs); err != nil {
		return 0, err
	} else if !ok {
		return FoundNotSQLite, nil
	}
	db, err := sql.Open("sqlite", checkDSN(abs, unclean))
	if err != nil {
		return 0, err
	}
	defer func() { _ = db.Close() }()
	var tables, ours int
	err = db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = 'schema_migrations')
		FROM sqlite_master WHERE type = 'table'`).Scan(&tables, &ours)
	switch {
	case sqliteCode(err) == sqlite3.SQLITE_NOTADB:
		return FoundNotSQLite, nil
	case isCorrupt(err):
		return FoundDamaged, nil
	case err != nil:
		return 0, err
	case tables == 0:
		return FoundBlank, nil
	case ours == 0:
		return FoundForeign, nil
	}
	if unclean && integrity {
		if err := integrityCheck(ctx, db); err != nil {
			return FoundState, err
		}
	}
	return FoundState, nil
}

// integrityCheck runs PRAGMA integrity_check on db, after an unclean
// shutdown.
func integrityCheck(ctx context.Context, db *sql.DB) error {
	problems, err := integrityProblems(ctx, db)
	if err != nil && (!isCorrupt(err) || len(problems) == 0) {
		// SQLite gave up on the database before it found anything to
		// list: its error is the finding.
		if isCorrupt(err) {
			return fmt.Errorf("%w: it was not closed cleanly, and SQLite's integrity check stopped: %w", ErrCorrupt, err)
		}
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	first := ""
	if len(problems) > maxProblems {
		problems = problems[:maxProblems]
		first = " (the first " + strconv.Itoa(maxProblems) + ")"
	}
	return fmt.Errorf("%w: it was not closed cleanly, and SQLite's integrity check found%s: %s", ErrCorrupt, first, strings.Join(problems, "; "))
}

// integrityProblems is what PRAGMA integrity_check says, a line each ("ok"
// alone when it finds nothing), with what was found before an error that
// stopped it.
func integrityProblems(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA integrity_check(%d)", maxProblems))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return problems, err
		}
		for line := range strings.Lines(p) {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "*** in database") {
				problems = append(problems, line)
			}
		}
	}
	return problems, rows.Err()
}

// hasSQLiteHeader reports whether the file at abs begins as a SQLite
// database does.
func hasSQLiteHeader(abs string) (bool, error) {
	f, err := os.Open(abs)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, b); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return string(b) == sqliteHeader, nil
}

// walSize is the size of the write-ahead log beside the database at abs:
// 0 when there is none.
func walSize(abs string) int64 {
	fi, err := os.Stat(abs + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// sqliteCode is the primary SQLite result code of err, 0 when err is not
// SQLite's.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// isCorrupt reports SQLite finding the database malformed.
func isCorrupt(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CORRUPT
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

// checkDSN is the driver's name for a connection that looks at the
// database file at abs before the store opens it: read-only, so that it
// neither converts a database that is not accord's to WAL mode nor, as the
// last connection to close, checkpoints the log a killed process left.
// Without such a log (unclean false), the file alone is the database, read
// as immutable: no lock taken, no -wal or -shm created beside it.
func checkDSN(abs string, unclean bool) string {
	u, _, _ := strings.Cut(dsn(abs), "?")
	q := url.Values{}
	if unclean {
		q.Set("mode", "ro")
	} else {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	return u + "?" + q.Encode()
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
