package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// writer holds a batch's prepared statements. Every update names the
// listing by channel and SKU and, when the change carries one, by its
// reference, as a real channel's write names its listing's ID.
type writer struct {
	c                                         *Channel
	tx                                        *sql.Tx
	now                                       string
	qty, qtyNow, price, compareAt, set, unset *sql.Stmt
	create, nextRef                           *sql.Stmt
	// refs are references reserved for the batch's creations, handed out
	// in turn: one counter update per batch, not per listing.
	refs, refsLeft int64
	creates        int64
}

// refMatches is the condition that the listing's reference is the
// change's (?1), or that the change carries none.
const refMatches = `(?1 = '' OR ref IS ?1)`

func (c *Channel) prepare(ctx context.Context, tx *sql.Tx, now string) (*writer, error) {
	w := &writer{c: c, tx: tx, now: now}
	for _, p := range []struct {
		into **sql.Stmt
		q    string
	}{
		{&w.qty, `UPDATE listings SET quantity = ?2, updated_at = ?3 WHERE channel = ?4 AND sku = ?5 AND quantity IS ?6 AND ` + refMatches},
		{&w.qtyNow, `SELECT quantity, ref FROM listings WHERE channel = ? AND sku = ?`},
		{&w.price, `UPDATE listings SET price = ?2, updated_at = ?3 WHERE channel = ?4 AND sku = ?5 AND ` + refMatches},
		{&w.compareAt, `UPDATE listings SET compare_at = ?2, updated_at = ?3 WHERE channel = ?4 AND sku = ?5 AND ` + refMatches},
		{&w.set, `UPDATE listings SET fields = json_set(fields, '$.' || json_quote(?2), ?3), updated_at = ?4 WHERE channel = ?5 AND sku = ?6 AND ` + refMatches},
		{&w.unset, `UPDATE listings SET fields = json_remove(fields, '$.' || json_quote(?2)), updated_at = ?3 WHERE channel = ?4 AND sku = ?5 AND ` + refMatches},
		{&w.create, `INSERT INTO listings (channel, sku, quantity, price, compare_at, currency, status, fields, updated_at, ref)
			VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)
			ON CONFLICT (channel, sku) DO UPDATE SET quantity = excluded.quantity, price = excluded.price,
				compare_at = excluded.compare_at, currency = excluded.currency, fields = excluded.fields,
				updated_at = excluded.updated_at, ref = COALESCE(listings.ref, excluded.ref), creates = listings.creates + 1`},
		{&w.nextRef, `INSERT INTO meta (key, value) VALUES ('next_ref', ?1)
			ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + ?1 RETURNING CAST(value AS INTEGER)`},
	} {
		s, err := tx.PrepareContext(ctx, p.q) //nolint:sqlclosecheck // kept in the writer, which closes every statement in close()
		if err != nil {
			w.close()
			return nil, err
		}
		*p.into = s
	}
	return w, nil
}

func (w *writer) close() {
	for _, s := range []*sql.Stmt{w.qty, w.qtyNow, w.price, w.compareAt, w.set, w.unset, w.create, w.nextRef} {
		if s != nil {
			_ = s.Close() // frees the statement; the transaction reports what matters
		}
	}
}

var (
	errNoListing = &adapters.RejectedError{Reason: "no such listing on the channel"}
	errStaleRef  = &adapters.RejectedError{Reason: "the listing's reference is not the one given: the listing was replaced since it was observed"}
)

// apply writes one change and returns its outcome.
func (w *writer) apply(ctx context.Context, ch *adapters.Change) error {
	name, ref := w.c.name, string(ch.Ref)
	switch ch.Kind {
	case adapters.KindCreate:
		return w.createListing(ctx, ch)
	case adapters.KindQuantity:
		to, err := ch.To.Int()
		if err != nil || to < 0 {
			return &adapters.RejectedError{Reason: fmt.Sprintf("quantity %s is not a whole number of units >= 0", ch.To)}
		}
		var from any
		if ch.From.Set {
			n, err := ch.From.Int()
			if err != nil {
				return &adapters.RejectedError{Reason: fmt.Sprintf("expected quantity %s is not a whole number", ch.From)}
			}
			from = n
		}
		res, err := w.qty.ExecContext(ctx, ref, to, w.now, name, ch.SKU, from)
		if err != nil {
			return w.dbErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var (
			cur  sql.NullInt64
			have sql.NullString
		)
		switch err := w.qtyNow.QueryRowContext(ctx, name, ch.SKU).Scan(&cur, &have); {
		case errors.Is(err, sql.ErrNoRows):
			return errNoListing
		case err != nil:
			return w.dbErr(err)
		}
		if ref != "" && have.String != ref {
			return errStaleRef
		}
		if cur.Valid {
			return &adapters.ConflictError{Current: adapters.Units(cur.Int64)}
		}
		return &adapters.ConflictError{}
	case adapters.KindPrice, adapters.KindCompareAt:
		v, err := ch.To.Decimal()
		if err != nil {
			return &adapters.RejectedError{Reason: fmt.Sprintf("%s %q is not an amount", ch.Name(), ch.To.Text)}
		}
		stmt := w.compareAt
		if ch.Kind == adapters.KindPrice {
			stmt = w.price
			if !v.Valid || !v.Decimal.IsPositive() {
				return &adapters.RejectedError{Reason: fmt.Sprintf("price %s must be above zero", ch.To)}
			}
		}
		res, err := stmt.ExecContext(ctx, ref, w.c.money(v), w.now, name, ch.SKU)
		return w.rowErr(ctx, ch, res, err)
	case adapters.KindField:
		if adapters.Reserved(ch.Field) || ch.Field == "" {
			return &adapters.RejectedError{Reason: fmt.Sprintf("%q is not a listing field", ch.Field)}
		}
		if ch.Field == "title" && utf8.RuneCountInString(ch.To.Text) > maxTitle {
			return &adapters.RejectedError{Reason: fmt.Sprintf("title is %d characters; the most is %d", utf8.RuneCountInString(ch.To.Text), maxTitle)}
		}
		var res sql.Result
		var err error
		if ch.To.Set {
			res, err = w.set.ExecContext(ctx, ref, ch.Field, ch.To.Text, w.now, name, ch.SKU)
		} else {
			res, err = w.unset.ExecContext(ctx, ref, ch.Field, w.now, name, ch.SKU)
		}
		return w.rowErr(ctx, ch, res, err)
	}
	return &adapters.RejectedError{Reason: fmt.Sprintf("a change of kind %s is not something the sandbox sets", ch.Kind)}
}

// createListing inserts a listing with a fresh reference; a listing that
// exists already (a create sent twice) is overwritten and keeps its own,
// and the creation is counted (see Channel.Duplicates).
func (w *writer) createListing(ctx context.Context, ch *adapters.Change) error {
	l := ch.Listing
	if l == nil {
		return &adapters.RejectedError{Reason: "a listing to create carries the listing"}
	}
	if err := w.c.validateListing(l); err != nil {
		return err
	}
	fields, err := encodeFields(l.Fields)
	if err != nil {
		return &adapters.RejectedError{Reason: err.Error()}
	}
	if w.refsLeft == 0 {
		// Reserve a reference for every creation of the batch at once.
		n := max(w.creates, 1)
		var last int64
		if err := w.nextRef.QueryRowContext(ctx, n).Scan(&last); err != nil {
			return w.dbErr(err)
		}
		w.refs, w.refsLeft = last-n+1, n
	}
	ref := "sbx-" + strconv.FormatInt(w.refs, 10)
	w.refs++
	w.refsLeft--
	_, err = w.create.ExecContext(ctx, w.c.name, ch.SKU, nullInt(l.Quantity), w.c.money(l.Price), w.c.money(l.CompareAt), w.c.currency, fields, w.now, ref)
	return w.dbErr(err)
}

// rowErr turns an update that matched no row into the reason: no such
// listing, or a reference that is not the listing's.
func (w *writer) rowErr(ctx context.Context, ch *adapters.Change, res sql.Result, err error) error {
	if err != nil {
		return w.dbErr(err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if ch.Ref != "" {
		var have sql.NullString
		if err := w.qtyNow.QueryRowContext(ctx, w.c.name, ch.SKU).Scan(new(sql.NullInt64), &have); err == nil && have.String != string(ch.Ref) {
			return errStaleRef
		}
	}
	return errNoListing
}

func (w *writer) dbErr(err error) error {
	if err == nil {
		return nil
	}
	return &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
}

func (c *Channel) validateListing(l *adapters.Listing) error {
	if l.Currency != "" && l.Currency != c.currency {
		return &adapters.RejectedError{Reason: fmt.Sprintf("currency %s; the channel sells in %s", l.Currency, c.currency)}
	}
	if l.Quantity.Valid && l.Quantity.Units < 0 {
		return &adapters.RejectedError{Reason: "quantity must not be negative"}
	}
	if l.Price.Valid && !l.Price.Decimal.IsPositive() {
		return &adapters.RejectedError{Reason: "price must be above zero"}
	}
	if t, ok := l.Field("title"); ok && utf8.RuneCountInString(t) > maxTitle {
		return &adapters.RejectedError{Reason: fmt.Sprintf("title is %d characters; the most is %d", utf8.RuneCountInString(t), maxTitle)}
	}
	return nil
}

func (c *Channel) money(d decimal.NullDecimal) any {
	if !d.Valid {
		return nil
	}
	return d.Decimal.StringFixed(c.scale)
}

func nullInt(q adapters.Quantity) any {
	if !q.Valid {
		return nil
	}
	return q.Units
}

// encodeFields writes fields as a JSON object (keys sorted).
func encodeFields(fields []adapters.Field) (string, error) {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f.Name] = f.Value
	}
	b, err := json.Marshal(m)
	return string(b), err
}
