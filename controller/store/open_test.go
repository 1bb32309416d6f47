package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The files a state path may hold instead of accord's database.

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func emptyFile(t *testing.T, path string) { writeFile(t, path, nil) }

func randomFile(t *testing.T, path string) {
	b := make([]byte, 8192)
	_, _ = rand.Read(b)
	writeFile(t, path, b)
}

func textFile(t *testing.T, path string) {
	writeFile(t, path, bytes.Repeat([]byte("price,sku\n19.99,A-1\n"), 100))
}

// foreignDB is someone else's SQLite database, in the default rollback
// journal mode: a table foo and a row.
func foreignDB(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ExecContext(context.Background(), `CREATE TABLE foo (x TEXT); INSERT INTO foo VALUES ('bar')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// accordDB is an accord state database with one run, closed cleanly.
func accordDB(t *testing.T, path string) {
	t.Helper()
	s, err := Open(context.Background(), path, newClock().now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun(context.Background(), "rev1", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// orphanLog is a write-ahead log whose database is gone.
func orphanLog(t *testing.T, path string) {
	t.Helper()
	dir := t.TempDir()
	uncleanCopy(t, filepath.Join(dir, "state.db"), filepath.Join(dir, "copy"), func(*sql.DB) {})
	writeFile(t, path+"-wal", readFile(t, filepath.Join(dir, "copy", "state.db-wal")))
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uncleanCopy leaves at dst the files a process killed while it had the
// accord database at src open leaves: the database and its -wal and -shm
// copied while a connection of its own, in WAL mode, has just committed a
// run (and whatever fill wrote before it). The -wal holds that run.
func uncleanCopy(t *testing.T, src, dst string, fill func(*sql.DB)) {
	t.Helper()
	ctx := context.Background()
	accordDB(t, src)
	db, err := sql.Open("sqlite", dsn(src))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	db.SetMaxOpenConns(1)
	fill(db)
	if _, err := db.ExecContext(ctx, `INSERT INTO runs (revision, started_at) VALUES ('rev-unclean', 1)`); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		writeFile(t, filepath.Join(dst, "state.db"+suffix), readFile(t, src+suffix))
	}
	if fi, err := os.Stat(filepath.Join(dst, "state.db-wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("no log left behind: %v", err)
	}
}

// runs is the revisions of the runs in the store.
func runs(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT revision FROM runs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var revs []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		revs = append(revs, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return revs
}

// Open and OpenExisting refuse what is not accord's state, say what they
// found and what to do, and leave the file as it was.
func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
		found string
		force bool // the advice needs --force
	}{
		{"empty file", emptyFile, ErrNotState, "an empty file", false},
		{"foreign database", foreignDB, ErrNotState, "a SQLite database without accord's schema", true},
		{"random bytes", randomFile, ErrNotState, "a file that is not a SQLite database", true},
		{"text", textFile, ErrNotState, "a file that is not a SQLite database", true},
		{"log without its database", orphanLog, ErrNotState, "a write-ahead log without its database", true},
		{"damaged schema", func(t *testing.T, path string) {
			accordDB(t, path)
			corruptPages(t, path, 0, 1) // the schema, past the file header
		}, ErrCorrupt, "its schema cannot be read", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			tt.setup(t, path)
			before, _ := os.ReadFile(path)
			for _, op := range []struct {
				name string
				open func(context.Context, string, func() time.Time) (*Store, error)
			}{{"Open", Open}, {"OpenExisting", OpenExisting}} {
				s, err := op.open(context.Background(), path, newClock().now)
				if err == nil {
					_ = s.Close()
					t.Fatalf("%s accepted it", op.name)
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("%s = %v, want %v", op.name, err, tt.want)
				}
				msg := err.Error()
				for _, want := range []string{path, tt.found, "restore it from a backup", "accord state init"} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: %q does not say %q", op.name, msg, want)
					}
				}
				if got := strings.Contains(msg, "--force"); got != tt.force {
					t.Errorf("%s: %q: advice with --force is %v, want %v", op.name, msg, got, tt.force)
				}
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("the file changed")
			}
			if extra, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.new-*")); len(extra) > 0 {
				t.Errorf("left behind: %v", extra)
			}
		})
	}
}

// A file that does not exist is created by Open, at once complete: no
// temporary file stays beside it.
func TestOpenCreatesMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "state.db")
	if _, err := OpenExisting(context.Background(), path, nil); !errors.Is(err, ErrNoState) {
		t.Fatalf("OpenExisting = %v, want ErrNoState", err)
	}
	s := openAt(t, path, newClock())
	if v, err := s.SchemaVersion(context.Background()); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if s.IntegrityChecked() {
		t.Error("a new database went through the integrity check")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "state.db" {
		t.Errorf("the directory holds %v, want only state.db", names)
	}
	s = openAt(t, path, newClock())
	if s.IntegrityChecked() {
		t.Error("a database closed cleanly went through the integrity check")
	}
}

// After an unclean shutdown, Open checks the database's integrity; a sound
// one opens with what the log held.
func TestOpenAfterUncleanShutdown(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "copy")
	uncleanCopy(t, filepath.Join(dir, "state.db"), dst, func(*sql.DB) {})
	s := openAt(t, filepath.Join(dst, "state.db"), newClock())
	if !s.IntegrityChecked() {
		t.Error("no integrity check after an unclean shutdown")
	}
	if got := strings.Join(runs(t, s), " "); got != "rev1 rev-unclean" {
		t.Errorf("runs %q, want the one in the log too", got)
	}
}

// corruptPages overwrites n whole pages from page first (0-based) of the
// database file at path, the file header of page 0 excepted.
func corruptPages(t *testing.T, path string, first, n int) {
	t.Helper()
	const pageSize = 4096
	b := readFile(t, path)
	if len(b) < (first+n)*pageSize {
		t.Fatalf("%s has %d bytes, fewer than %d pages", path, len(b), first+n)
	}
	from, to := first*pageSize, (first+n)*pageSize
	if from == 0 {
		from = 100
	}
	var x byte
	for i := from; i < to; i++ {
		b[i] = 0xA5 ^ x
		x++
	}
	writeFile(t, path, b)
}

// A database damaged in the middle, found after an unclean shutdown, is
// refused with the integrity check's findings.
func TestOpenCorrupt(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "copy")
	uncleanCopy(t, filepath.Join(dir, "state.db"), dst, func(db *sql.DB) {
		// Some hundred pages of runs, copied into the database file by
		// a checkpoint, so that the log holds only the last write.
		if _, err := db.ExecContext(context.Background(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
			INSERT INTO runs (revision, started_at) SELECT printf('rev-%05d-', i) || hex(randomblob(100)), i FROM n;
			PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
	})
	path := filepath.Join(dst, "state.db")
	size := len(readFile(t, path))
	corruptPages(t, path, size/4096/2, 3)
	_, err := Open(context.Background(), path, newClock().now)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{path, "not closed cleanly", "integrity check found", "page", "restore it from a backup", "accord state init --force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

// Init starts a new history on purpose: where there is nothing to lose at
// once, elsewhere only with force, moving the old files aside.
func TestInit(t *testing.T) {
	const stamp = "20250301T083000Z" // newClock's time in UTC
	tests := []struct {
		name      string
		setup     func(t *testing.T, path string)
		force     bool
		want      error  // refused with this error
		wantMsg   string // or with this message
		found     Found
		moved     []string // suffixes of the files moved aside
		oldRuns   string   // the runs of the database moved aside
		unchanged bool     // refused: the file is as it was
	}{
		{name: "missing", setup: func(*testing.T, string) {}, found: FoundNothing},
		{name: "empty", setup: emptyFile, found: FoundEmpty},
		{name: "accord", setup: accordDB, want: ErrExists, found: FoundState, unchanged: true},
		{name: "accord with force", setup: accordDB, force: true, found: FoundState, moved: []string{""}, oldRuns: "rev1"},
		{name: "accord not closed cleanly with force", setup: func(t *testing.T, path string) {
			uncleanCopy(t, filepath.Join(t.TempDir(), "state.db"), filepath.Dir(path), func(*sql.DB) {})
		}, force: true, found: FoundState, moved: []string{"", "-wal", "-shm"}, oldRuns: "rev1 rev-unclean"},
		{name: "foreign", setup: foreignDB, want: ErrExists, found: FoundForeign, unchanged: true},
		{name: "foreign with force", setup: foreignDB, force: true, found: FoundForeign, moved: []string{""}},
		{name: "random bytes", setup: randomFile, want: ErrExists, found: FoundNotSQLite, unchanged: true},
		{name: "random bytes with force", setup: randomFile, force: true, found: FoundNotSQLite, moved: []string{""}},
		{name: "backup there already", setup: func(t *testing.T, path string) {
			accordDB(t, path)
			writeFile(t, path+".bak-"+stamp, []byte("an earlier backup"))
		}, force: true, wantMsg: stamp + " is there already", found: FoundState, unchanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "state.db")
			tt.setup(t, path)
			before, _ := os.ReadFile(path)
			res, err := Init(ctx, path, newClock().now, tt.force)
			if res.Found != tt.found {
				t.Errorf("found %s, want %s", res.Found, tt.found)
			}
			if tt.want != nil || tt.wantMsg != "" {
				if err == nil {
					t.Fatal("Init succeeded")
				}
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("Init = %v, want %v", err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("Init = %v, want it to say %q", err, tt.wantMsg)
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.found.String()) {
					t.Errorf("%q does not name the path and what is there", err)
				}
				if after, _ := os.ReadFile(path); tt.unchanged && !bytes.Equal(before, after) {
					t.Error("the file changed")
				}
				if len(res.Moved) > 0 {
					t.Errorf("moved %v", res.Moved)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var moved []string
			for _, m := range res.Moved {
				if !strings.HasPrefix(m.From, path) || m.To != path+".bak-"+stamp+strings.TrimPrefix(m.From, path) {
					t.Errorf("moved %s to %s", m.From, m.To)
				}
				moved = append(moved, strings.TrimPrefix(m.From, path))
			}
			if strings.Join(moved, ",") != strings.Join(tt.moved, ",") {
				t.Errorf("moved %q, want %q", moved, tt.moved)
			}
			s := openAt(t, path, newClock())
			if r := runs(t, s); len(r) > 0 {
				t.Errorf("the new database holds runs %v", r)
			}
			if tt.oldRuns != "" {
				old := openAt(t, path+".bak-"+stamp, newClock())
				if got := strings.Join(runs(t, old), " "); got != tt.oldRuns {
					t.Errorf("the old database holds runs %q, want %q", got, tt.oldRuns)
				}
			}
		})
	}
}

// A log with frames in it beside a database whose lease a live process
// holds is that process's, not a crash's: the integrity check, which
// reads the whole database, is spared. A lease of a process that is gone
// does not spare it.
func TestOpenWhileLeaseHeld(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct {
		name    string
		pid     int
		checked bool
	}{
		{"held by this process", os.Getpid(), false},
		{"held by a process that is gone", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "copy")
			uncleanCopy(t, filepath.Join(dir, "state.db"), dst, func(db *sql.DB) {
				_, err := db.ExecContext(context.Background(), `INSERT INTO lease (name, id, owner, host, pid, acquired_at, renewed_at, expires_at)
					VALUES ('apply', 'L1', 'accord run', ?, ?, 0, 0, ?)`, host, c.pid, time.Now().Add(time.Hour).UnixNano())
				if err != nil {
					t.Fatal(err)
				}
			})
			s := openAt(t, filepath.Join(dst, "state.db"), newClock())
			if s.IntegrityChecked() != c.checked {
				t.Errorf("integrity checked: %v, want %v", s.IntegrityChecked(), c.checked)
			}
		})
	}
}
