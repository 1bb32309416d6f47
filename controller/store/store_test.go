package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
)

// clock is a manual clock for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	// A zone other than UTC, to show that times come back in UTC.
	return &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))}
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// open opens a store in a fresh directory and closes it when the test ends.
func open(t testing.TB, c *clock) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "state.db")
	return openAt(t, path, c), path
}

func openAt(t testing.TB, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func val(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

func TestOpen(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	// Parent directories are created; characters that mean something in a
	// URI are taken literally.
	path := filepath.Join(t.TempDir(), "a b", "x?y#z%20", "state.db")
	s := openAt(t, path, c)
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, len(migrations))
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	pragmas := []struct {
		name string
		want string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	}
	for _, p := range pragmas {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != p.want {
			t.Errorf("%s = %s, want %s", p.name, got, p.want)
		}
	}
	run, err := s.StartRun(ctx, "rev1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening migrates nothing and keeps the data.
	s = openAt(t, path, c)
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema version after reopen %d, %v", v, err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) {
		t.Errorf("%d migrations recorded, want %d", n, len(migrations))
	}
	if _, err := s.JournalBatch(ctx, run, "shop", nil); err != nil {
		t.Errorf("the run did not survive reopening: %v", err)
	}
}

func TestOpenUpgrades(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, path := open(t, c)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	orig := migrations
	t.Cleanup(func() { migrations = orig })
	migrations = slices.Concat(orig, []string{
		`CREATE TABLE extra (x TEXT); INSERT INTO extra VALUES ('a')`,
		`INSERT INTO extra VALUES ('b')`})
	for range 2 { // the second open applies nothing
		s = openAt(t, path, c)
		if v, err := s.SchemaVersion(ctx); err != nil || v != len(orig)+2 {
			t.Fatalf("schema version %d, %v; want %d", v, err, len(orig)+2)
		}
		var got string
		if err := s.db.QueryRowContext(ctx, `SELECT group_concat(x, '') FROM extra`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "ab" {
			t.Fatalf("extra holds %q, want ab: each migration runs once", got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenNewerSchema(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, path := open(t, c)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path, c.now)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not say the schema is newer, or of which file", err)
	}
}

func TestCancelled(t *testing.T) {
	c := newClock()
	s, _ := open(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.StartRun(ctx, "rev", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("StartRun = %v, want context.Canceled", err)
	}
	if _, err := s.LastApplied(ctx, []FieldKey{{"a", "b", "c"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("LastApplied = %v, want context.Canceled", err)
	}
}

// Two processes creating one state at the same moment both open it: the
// one that meets the other's switch to WAL tries again.
func TestOpenCreatingAtOnce(t *testing.T) {
	for range 5 {
		path := filepath.Join(t.TempDir(), "state.db")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := Open(context.Background(), path, nil)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
		}
	}
}
