package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// fieldDecoder reads the fields objects of listing rows with one decoder
// for every row of a query. A row's values share one string allocation,
// and names equal to the previous row's reuse its strings: a channel's
// listings nearly all carry the same fields.
type fieldDecoder struct {
	r     bytes.Reader
	dec   *jsontext.Decoder
	names []string // the previous row's names, in order
	name  []byte   // scratch for a name
	buf   []byte   // the row's values, unquoted, back to back
	ends  []int    // where each value ends in buf
}

// decode reads a fields object, sorted by name.
func (fd *fieldDecoder) decode(b []byte) ([]adapters.Field, error) {
	if len(b) == 0 || string(b) == "{}" {
		return nil, nil
	}
	fd.r.Reset(b)
	if fd.dec == nil {
		fd.dec = jsontext.NewDecoder(&fd.r)
	} else {
		fd.dec.Reset(&fd.r)
	}
	dec := fd.dec
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	fd.buf, fd.ends = fd.buf[:0], fd.ends[:0]
	n := 0
	for ; dec.PeekKind() != '}'; n++ {
		name, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if fd.name, err = jsontext.AppendUnquote(fd.name[:0], name); err != nil {
			return nil, err
		}
		if n == len(fd.names) {
			fd.names = append(fd.names, "")
		}
		if fd.names[n] != string(fd.name) {
			fd.names[n] = string(fd.name)
		}
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if val.Kind() != '"' {
			return nil, fmt.Errorf("field %s is not a string", fd.names[n])
		}
		if fd.buf, err = jsontext.AppendUnquote(fd.buf, val); err != nil {
			return nil, err
		}
		fd.ends = append(fd.ends, len(fd.buf))
	}
	if _, err := dec.ReadToken(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("trailing data after the fields object")
	}
	if n == 0 {
		return nil, nil
	}
	values := string(fd.buf)
	out := make([]adapters.Field, n)
	start := 0
	for i := range n {
		out[i] = adapters.Field{Name: fd.names[i], Value: values[start:fd.ends[i]]}
		start = fd.ends[i]
	}
	if !sort.SliceIsSorted(out, func(i, j int) bool { return out[i].Name < out[j].Name }) {
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	}
	return out, nil
}

// Set edits one field of a listing from outside accord, as a person in the
// channel's seller portal would. field is quantity, price, compare_at,
// status or a listing field; an empty value clears it (no compare-at
// price, no field).
func (c *Channel) Set(ctx context.Context, sku, field, value string) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer tx.Rollback()
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM listings WHERE channel = ? AND sku = ?`, c.name, sku).Scan(&exists); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if exists == 0 {
		return fmt.Errorf("%s lists no SKU %s", c.name, sku)
	}
	now := c.now().UTC().Format(time.RFC3339Nano)
	var arg any
	if value != "" {
		arg = value
	}
	switch field {
	case adapters.FieldQuantity:
		if value != "" {
			var n int64
			if _, err := fmt.Sscan(value, &n); err != nil || n < 0 || fmt.Sprint(n) != value {
				return fmt.Errorf("quantity %q: write a whole number of units, 0 or more", value)
			}
			arg = n
		}
		_, err = tx.ExecContext(ctx, `UPDATE listings SET quantity = ?, updated_at = ? WHERE channel = ? AND sku = ?`, arg, now, c.name, sku)
	case adapters.FieldPrice, adapters.FieldCompareAt:
		if value != "" {
			d, err := decimal.NewFromString(value)
			if err != nil || d.IsNegative() || (field == adapters.FieldPrice && d.IsZero()) {
				return fmt.Errorf("%s %q: write an amount such as 19.99", field, value)
			}
			arg = d.StringFixed(c.scale)
		} else if field == adapters.FieldPrice {
			return errors.New("price: a listing always has a price")
		}
		// field is one of the case's constant column names; values are bound.
		_, err = tx.ExecContext(ctx, `UPDATE listings SET `+field+` = ?, updated_at = ? WHERE channel = ? AND sku = ?`, arg, now, c.name, sku) //nolint:gosec // G202: see above
	case "status":
		if value != "active" && value != "inactive" {
			return fmt.Errorf("status %q: use active or inactive", value)
		}
		_, err = tx.ExecContext(ctx, `UPDATE listings SET status = ?, updated_at = ? WHERE channel = ? AND sku = ?`, value, now, c.name, sku)
	case "", adapters.FieldListing, "sku", "currency":
		return fmt.Errorf("field %q cannot be set; set quantity, price, compare_at, status or a listing field", field)
	default:
		if value == "" {
			_, err = tx.ExecContext(ctx, `UPDATE listings SET fields = json_remove(fields, '$.' || json_quote(?)), updated_at = ? WHERE channel = ? AND sku = ?`, field, now, c.name, sku)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE listings SET fields = json_set(fields, '$.' || json_quote(?), ?), updated_at = ? WHERE channel = ? AND sku = ?`, field, value, now, c.name, sku)
		}
	}
	if err == nil {
		err = addEvent(ctx, tx, c.name, sku, adapters.EventListing, 0, now)
	}
	if err != nil {
		return fmt.Errorf("sandbox: set %s %s %s: %w", c.name, sku, field, err)
	}
	return tx.Commit()
}

// Duplicates returns the channel's listings that were created more than
// once, with the number of create requests that landed for each: on a real
// channel each would be a duplicate product.
func (c *Channel) Duplicates(ctx context.Context) (map[string]int64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT sku, creates FROM listings WHERE channel = ? AND creates > 1 ORDER BY sku`, c.name)
	if err != nil {
		return nil, fmt.Errorf("sandbox: duplicates of %s: %w", c.name, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var sku string
		var n int64
		if err := rows.Scan(&sku, &n); err != nil {
			return nil, fmt.Errorf("sandbox: duplicates of %s: %w", c.name, err)
		}
		out[sku] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sandbox: duplicates of %s: %w", c.name, err)
	}
	return out, nil
}

// Faults returns the channel's faults.
func (c *Channel) Faults(ctx context.Context) (Faults, error) { return readFaults(ctx, c.db, c.name) }

// SetFaults replaces the channel's faults after checking them.
func (c *Channel) SetFaults(ctx context.Context, f Faults) error {
	if _, err := f.parse(); err != nil {
		return err
	}
	if err := writeFaults(ctx, c.db, c.name, f); err != nil {
		return fmt.Errorf("sandbox: set faults of %s: %w", c.name, err)
	}
	return nil
}

// Warehouse is the sandbox's stock: on-hand units by catalog SKU. It is
// what a stock_source of type "sandbox" reads, and what `accord sandbox
// sell` draws from.
type Warehouse struct {
	db *sql.DB
}

// Reset deletes the sandbox in dir: every channel's listings, the
// warehouse, the orders, the faults and the feeds. The next read starts from
// nothing (and the warehouse from its opening stock). It reports whether
// there was a sandbox there.
func Reset(dir string) (bool, error) {
	found := false
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Remove(filepath.Join(dir, FileName+suffix))
		switch {
		case err == nil:
			found = found || suffix == ""
		case !errors.Is(err, os.ErrNotExist):
			return found, fmt.Errorf("sandbox: reset %s: %w", dir, err)
		}
	}
	return found, nil
}

// OpenWarehouse opens the warehouse of the sandbox in dir.
func OpenWarehouse(ctx context.Context, dir string) (*Warehouse, error) {
	db, err := openDB(ctx, dir)
	if err != nil {
		return nil, err
	}
	return &Warehouse{db: db}, nil
}

// Close closes the sandbox file.
func (w *Warehouse) Close() error { return w.db.Close() }

// Levels returns on-hand units by SKU, and whether the warehouse was ever
// stocked.
func (w *Warehouse) Levels(ctx context.Context) (map[string]int64, bool, error) {
	var seeded int
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key = 'warehouse_seeded'`).Scan(&seeded); err != nil {
		return nil, false, fmt.Errorf("sandbox: warehouse: %w", err)
	}
	rows, err := w.db.QueryContext(ctx, `SELECT sku, on_hand FROM warehouse`)
	if err != nil {
		return nil, false, fmt.Errorf("sandbox: warehouse: %w", err)
	}
	defer rows.Close()
	levels := map[string]int64{}
	for rows.Next() {
		var sku string
		var n int64
		if err := rows.Scan(&sku, &n); err != nil {
			return nil, false, fmt.Errorf("sandbox: warehouse: %w", err)
		}
		levels[sku] = n
	}
	return levels, seeded > 0, rows.Err()
}

// Seed stocks the warehouse with its opening levels, once: a warehouse
// already stocked is left as it is, and false is returned.
func (w *Warehouse) Seed(ctx context.Context, levels map[string]int64) (bool, error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sandbox: seed warehouse: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('warehouse_seeded', ?)`, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return false, fmt.Errorf("sandbox: seed warehouse: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO warehouse (sku, on_hand) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand`)
	if err != nil {
		return false, fmt.Errorf("sandbox: seed warehouse: %w", err)
	}
	defer stmt.Close()
	for sku, n := range levels {
		if _, err := stmt.ExecContext(ctx, sku, n); err != nil {
			return false, fmt.Errorf("sandbox: seed warehouse: %w", err)
		}
	}
	return true, tx.Commit()
}

// Restock adds units to the on-hand units of a SKU (a delivery) and
// returns the units on hand after it. Like Receive, it counts as stocking
// the warehouse: one never stocked is not stocked from its opening stock
// afterwards, so read the stock source first (`accord sandbox restock`
// does).
func (w *Warehouse) Restock(ctx context.Context, sku string, units int64) (int64, error) {
	if units < 1 {
		return 0, fmt.Errorf("restock %d: receive at least one unit", units)
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sandbox: restock %s: %w", sku, err)
	}
	defer tx.Rollback()
	var onHand int64
	err = tx.QueryRowContext(ctx, `INSERT INTO warehouse (sku, on_hand) VALUES (?1, ?2)
		ON CONFLICT (sku) DO UPDATE SET on_hand = on_hand + ?2 RETURNING on_hand`, sku, units).Scan(&onHand)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('warehouse_seeded', ?)`, time.Now().UTC().Format(time.RFC3339))
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return 0, fmt.Errorf("sandbox: restock %s: %w", sku, err)
	}
	return onHand, nil
}

// Receive sets the on-hand units of a SKU (a delivery, a stock count).
func (w *Warehouse) Receive(ctx context.Context, sku string, units int64) error {
	if units < 0 {
		return fmt.Errorf("on hand %d: must not be negative", units)
	}
	_, err := w.db.ExecContext(ctx, `INSERT INTO warehouse (sku, on_hand) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand`, sku, units)
	if err == nil {
		_, err = w.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('warehouse_seeded', ?)`, time.Now().UTC().Format(time.RFC3339))
	}
	if err != nil {
		return fmt.Errorf("sandbox: receive %s: %w", sku, err)
	}
	return nil
}
