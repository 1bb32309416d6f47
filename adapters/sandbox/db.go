package sandbox

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

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// FileName is the sandbox's database inside its directory.
const FileName = "sandbox.db"

// schema is the sandbox's tables. The sandbox is a simulation, so its
// schema is created, never migrated: a sandbox from an older build is
// deleted and applied afresh, or brought up to date by upgrades where that
// is one added column.
//
// events is what the channel would send as webhooks: one row per order and
// per listing edited from outside accord (Sell, Set, the sell-on-apply
// hook), never for accord's own writes. Watch reads it by id.
const schema = `
CREATE TABLE IF NOT EXISTS listings (
	channel    TEXT NOT NULL,
	sku        TEXT NOT NULL,
	quantity   INTEGER,
	price      TEXT,
	compare_at TEXT,
	currency   TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'active',
	fields     TEXT NOT NULL DEFAULT '{}',
	updated_at TEXT NOT NULL,
	ref        TEXT,
	creates    INTEGER NOT NULL DEFAULT 1,
	PRIMARY KEY (channel, sku)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warehouse (
	sku     TEXT PRIMARY KEY,
	on_hand INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS orders (
	id       INTEGER PRIMARY KEY,
	channel  TEXT NOT NULL,
	sku      TEXT NOT NULL,
	units    INTEGER NOT NULL,
	at       TEXT NOT NULL,
	oversold INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
	id      INTEGER PRIMARY KEY,
	channel TEXT NOT NULL,
	sku     TEXT NOT NULL,
	kind    TEXT NOT NULL,
	units   INTEGER NOT NULL DEFAULT 0,
	at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
	channel TEXT PRIMARY KEY,
	config  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
	id           INTEGER PRIMARY KEY,
	channel      TEXT NOT NULL,
	changes      TEXT NOT NULL,
	submitted_at TEXT NOT NULL,
	results      TEXT
);
`

// upgrades bring a sandbox made by an earlier build up to the schema above:
// each is the column it adds and the statement that adds it.
var upgrades = []struct{ table, column, stmt string }{
	{"listings", "ref", `ALTER TABLE listings ADD COLUMN ref TEXT`},
	// How many create requests landed for the listing: more than one is a
	// creation sent twice, which on a real channel is a duplicate product.
	{"listings", "creates", `ALTER TABLE listings ADD COLUMN creates INTEGER NOT NULL DEFAULT 1`},
	// The units of an order the warehouse did not hold: sold to a
	// customer, and not there to ship.
	{"orders", "oversold", `ALTER TABLE orders ADD COLUMN oversold INTEGER NOT NULL DEFAULT 0`},
}

func upgrade(ctx context.Context, db *sql.DB) error {
	for _, u := range upgrades {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, u.table, u.column).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := db.ExecContext(ctx, u.stmt); err != nil {
				return err
			}
		}
	}
	return nil
}

// openDB opens (creating) the sandbox database in dir.
func openDB(ctx context.Context, dir string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	// busy_timeout first: switching to WAL needs a lock that another
	// connection opening at the same moment may hold.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sandbox: open %s: %w", path, err)
	}
	// Several processes (and the channels of one apply) may open a new
	// sandbox at the same moment; creating the schema or switching to WAL
	// can then meet a lock the busy timeout does not cover. Retry briefly.
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		_, err := db.ExecContext(ctx, schema)
		if err == nil {
			err = upgrade(ctx, db)
		}
		if err != nil && !strings.Contains(err.Error(), "SQLITE_BUSY") && !strings.Contains(err.Error(), "database is locked") {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(15*time.Second))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: open %s: %w", path, err), db.Close())
	}
	return db, nil
}
