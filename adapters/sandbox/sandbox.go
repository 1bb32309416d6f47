// Package sandbox is accord's embedded default channel: a simulated
// marketplace that keeps its listings (quantity, price, compare-at price,
// fields, status) and a warehouse in a SQLite file, sandbox.db, under the
// channel's config.dir (default ".accord/sandbox" beside the spec). Every
// sandbox channel of a spec with the same dir shares that file.
//
// It behaves like a real channel where accord's apply must be careful:
//   - quantity writes are compare-and-set, as Shopify's
//     inventorySetQuantities with compareQuantity: a write whose expected
//     quantity no longer holds (an order landed) fails with a conflict
//     instead of overwriting the sale;
//   - it creates a listing that is missing from the listing's fields, as
//     Shopify's productSet does;
//   - it validates: a negative quantity, a price that is not positive, a
//     currency other than the channel's or a title over 255 characters is
//     rejected;
//   - it can be made to fail (see Faults): HTTP 429 with Retry-After, 5xx,
//     timeouts (half of which land anyway), batches in which some items
//     fail, items rejected for good, and an optional server-side rate limit
//     and latency from the config block. Two test hooks let scenarios kill
//     the applying process mid-apply and land an order between observe and
//     apply.
//
// Config (all optional):
//
//	config {
//	  dir        = ".accord/sandbox"  # relative to the spec directory
//	  batch_size = 1000               # changes per apply request
//	  rate_limit = 0                  # apply requests per second the sandbox accepts; 0: no limit
//	  latency    = "0s"               # added to every request
//	}
//
// `accord sandbox` (show, set, sell, faults) edits the sandbox from outside
// accord, as a person in a seller portal or a customer would.
package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
)

// DefaultDir is where the sandbox lives, relative to the spec directory.
const DefaultDir = ".accord/sandbox"

// maxTitle is the longest title the sandbox accepts, as Shopify's 255.
const maxTitle = 255

var configSpec = hcldec.ObjectSpec{
	"dir":        &hcldec.AttrSpec{Name: "dir", Type: cty.String},
	"batch_size": &hcldec.AttrSpec{Name: "batch_size", Type: cty.Number},
	"rate_limit": &hcldec.AttrSpec{Name: "rate_limit", Type: cty.Number},
	"latency":    &hcldec.AttrSpec{Name: "latency", Type: cty.String},
}

// Config is a sandbox channel's decoded config block.
type Config struct {
	Dir       string
	BatchSize int
	RateLimit rate.Limit
	Latency   time.Duration
}

// DecodeConfig decodes a sandbox config block; body may be nil.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	cfg := Config{Dir: filepath.Join(setup.SpecDir, filepath.FromSlash(DefaultDir)), BatchSize: 1000, RateLimit: rate.Inf}
	if setup.Config == nil {
		return cfg, nil
	}
	v, diags := hcldec.Decode(setup.Config, configSpec, setup.Eval)
	if diags.HasErrors() {
		return cfg, &adapters.ConfigError{Channel: setup.Name, Diags: diags}
	}
	rng := setup.Config.MissingItemRange()
	bad := func(attr, detail string) error {
		if a, ok := attrRange(setup.Config, attr); ok {
			rng = a
		}
		return &adapters.ConfigError{Channel: setup.Name, Diags: hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid " + attr, Detail: detail, Subject: &rng,
		}}}
	}
	if d := v.GetAttr("dir"); !d.IsNull() {
		dir := filepath.FromSlash(d.AsString())
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(setup.SpecDir, dir)
		}
		cfg.Dir = dir
	}
	if n := v.GetAttr("batch_size"); !n.IsNull() {
		i, acc := n.AsBigFloat().Int64()
		if acc != big.Exact || i < 1 || i > 100000 {
			return cfg, bad("batch_size", "batch_size is a whole number of changes per request, from 1 to 100000.")
		}
		cfg.BatchSize = int(i)
	}
	if n := v.GetAttr("rate_limit"); !n.IsNull() {
		f, _ := n.AsBigFloat().Float64()
		if f < 0 {
			return cfg, bad("rate_limit", "rate_limit is apply requests per second, or 0 for no limit.")
		}
		if f > 0 {
			cfg.RateLimit = rate.Limit(f)
		}
	}
	if s := v.GetAttr("latency"); !s.IsNull() {
		d, err := time.ParseDuration(s.AsString())
		if err != nil || d < 0 {
			return cfg, bad("latency", fmt.Sprintf("%q is not a duration such as \"20ms\".", s.AsString()))
		}
		cfg.Latency = d
	}
	return cfg, nil
}

func attrRange(body hcl.Body, name string) (hcl.Range, bool) {
	attrs, _ := body.JustAttributes()
	if a, ok := attrs[name]; ok {
		return a.Expr.Range(), true
	}
	return hcl.Range{}, false
}

// Channel is one sandbox channel.
type Channel struct {
	name     string
	currency string
	scale    int32
	cfg      Config
	db       *sql.DB
	now      func() time.Time
	limiter  *rate.Limiter

	mu      sync.Mutex
	rnd     *rand.Rand
	seed    uint64
	batches int
}

var _ adapters.Channel = (*Channel)(nil)

// Open opens the sandbox channel of a spec's channel block.
func Open(ctx context.Context, setup adapters.Setup) (adapters.Channel, error) {
	return OpenChannel(ctx, setup)
}

// OpenChannel is Open returning the concrete type, for `accord sandbox`.
func OpenChannel(ctx context.Context, setup adapters.Setup) (*Channel, error) {
	cfg, err := DecodeConfig(setup)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, cfg.Dir)
	if err != nil {
		return nil, err
	}
	now := setup.Now
	if now == nil {
		now = time.Now
	}
	c := &Channel{name: setup.Name, currency: setup.Currency, scale: setup.Scale, cfg: cfg, db: db, now: now}
	if cfg.RateLimit != rate.Inf {
		c.limiter = rate.NewLimiter(cfg.RateLimit, 1)
	}
	return c, nil
}

// Close closes the sandbox file.
func (c *Channel) Close() error { return c.db.Close() }

// Dir is the sandbox's directory.
func (c *Channel) Dir() string { return c.cfg.Dir }

// Limits are the sandbox's: its configured batch size and rate limit.
func (c *Channel) Limits() adapters.Limits {
	return adapters.Limits{
		BatchSize:     c.cfg.BatchSize,
		PageSize:      10000,
		Rate:          c.cfg.RateLimit,
		Burst:         1,
		CompareAndSet: true,
		CanCreate:     true,
	}
}

// Observe reads the channel's listings a page at a time, in SKU order.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	pageSize := c.Limits().PageSize
	buf := make([]adapters.Listing, 0, pageSize)
	if len(skus) > 0 {
		const chunk = 500
		for i := 0; i < len(skus); i += chunk {
			part := skus[i:min(i+chunk, len(skus))]
			args := make([]any, 0, len(part)+1)
			args = append(args, c.name)
			for _, s := range part {
				args = append(args, s)
			}
			q := `SELECT sku, quantity, price, compare_at, currency, status, fields FROM listings
				WHERE channel = ? AND sku IN (?` + strings.Repeat(",?", len(part)-1) + `) ORDER BY sku`
			var err error
			buf, err = c.query(ctx, q, args, buf[:0])
			if err != nil {
				return err
			}
			if len(buf) > 0 {
				if err := page(buf); err != nil {
					return err
				}
			}
		}
		return nil
	}
	after := ""
	for {
		var err error
		buf, err = c.query(ctx, `SELECT sku, quantity, price, compare_at, currency, status, fields FROM listings
			WHERE channel = ? AND sku > ? ORDER BY sku LIMIT ?`, []any{c.name, after, pageSize}, buf[:0])
		if err != nil {
			return err
		}
		if len(buf) == 0 {
			return nil
		}
		if err := page(buf); err != nil {
			return err
		}
		if len(buf) < pageSize {
			return nil
		}
		after = buf[len(buf)-1].SKU
	}
}

func (c *Channel) query(ctx context.Context, q string, args []any, into []adapters.Listing) ([]adapters.Listing, error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sandbox: observe %s: %w", c.name, err)
	}
	defer rows.Close()
	var (
		fd                       fieldDecoder
		currency, status, fields sql.RawBytes
		lastCurrency, lastStatus string
	)
	for rows.Next() {
		var (
			l                adapters.Listing
			qty              sql.NullInt64
			price, compareAt sql.NullString
		)
		if err := rows.Scan(&l.SKU, &qty, &price, &compareAt, &currency, &status, &fields); err != nil {
			return nil, fmt.Errorf("sandbox: observe %s: %w", c.name, err)
		}
		l.Channel = c.name
		l.Quantity = adapters.Quantity{Units: qty.Int64, Valid: qty.Valid}
		if l.Price, err = nullDecimal(price); err != nil {
			return nil, fmt.Errorf("sandbox: observe %s %s: price: %w", c.name, l.SKU, err)
		}
		if l.CompareAt, err = nullDecimal(compareAt); err != nil {
			return nil, fmt.Errorf("sandbox: observe %s %s: compare_at: %w", c.name, l.SKU, err)
		}
		l.Currency = reuse(&lastCurrency, currency)
		l.Status = reuse(&lastStatus, status)
		if l.Fields, err = fd.decode(fields); err != nil {
			return nil, fmt.Errorf("sandbox: observe %s %s: fields: %w", c.name, l.SKU, err)
		}
		into = append(into, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sandbox: observe %s: %w", c.name, err)
	}
	return into, nil
}

// reuse returns b as a string, the previous row's when it is the same:
// every row of a channel has the same currency and nearly every one the
// same status.
func reuse(last *string, b []byte) string {
	if string(b) != *last {
		*last = string(b)
	}
	return *last
}

func nullDecimal(s sql.NullString) (decimal.NullDecimal, error) {
	if !s.Valid {
		return decimal.NullDecimal{}, nil
	}
	d, err := decimal.NewFromString(s.String)
	return decimal.NullDecimal{Decimal: d, Valid: err == nil}, err
}

// Apply sends one batch: see the package comment for what can go wrong.
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	results := make([]adapters.Result, len(changes))
	fail := func(err error) []adapters.Result {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	if c.cfg.Latency > 0 {
		t := time.NewTimer(c.cfg.Latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(ctx.Err())
		case <-t.C:
		}
	}
	if len(changes) > c.cfg.BatchSize {
		return fail(&adapters.RejectedError{Reason: fmt.Sprintf("a request carries at most %d changes, not %d", c.cfg.BatchSize, len(changes))})
	}
	faults, err := readFaults(ctx, c.db, c.name)
	if err != nil {
		return fail(&adapters.TemporaryError{Message: err.Error()})
	}
	r, err := faults.parse()
	if err != nil {
		return fail(&adapters.TemporaryError{Message: "sandbox: faults: " + err.Error()})
	}
	if c.limiter != nil {
		if res := c.limiter.Reserve(); res.Delay() > 0 {
			retry := res.Delay()
			res.Cancel()
			return fail(&adapters.ThrottledError{RetryAfter: retry, Message: "sandbox rate limit exceeded"})
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rnd == nil || c.seed != faults.Seed {
		seed := faults.Seed
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		// A seeded generator makes a fault campaign repeatable (--seed).
		c.rnd, c.seed = rand.New(rand.NewPCG(seed, 0x5eed)), faults.Seed //nolint:gosec // G404: fault injection, not security
	}
	switch {
	case c.hit(r.throttle):
		return fail(&adapters.ThrottledError{RetryAfter: r.retryAfter, Message: "HTTP 429 Too Many Requests"})
	case c.hit(r.serverError):
		return fail(&adapters.TemporaryError{Message: "HTTP 503 Service Unavailable"})
	}
	timedOut := c.hit(r.timeout)
	landAnyway := timedOut && c.rnd.IntN(2) == 0

	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(&adapters.TemporaryError{Message: "sandbox: " + err.Error()})
	}
	defer tx.Rollback()
	now := c.now().UTC().Format(time.RFC3339Nano)

	if len(faults.SellOnApply) > 0 {
		var left []Sale
		for _, s := range faults.SellOnApply {
			if writesQuantity(changes, s.SKU) {
				stockSKU := s.StockSKU
				if stockSKU == "" {
					stockSKU = s.SKU
				}
				if _, err := sell(ctx, tx, c.name, s.SKU, stockSKU, s.Units, now); err != nil {
					return fail(&adapters.TemporaryError{Message: err.Error()})
				}
				continue
			}
			left = append(left, s)
		}
		if len(left) != len(faults.SellOnApply) {
			faults.SellOnApply = left
			if err := writeFaults(ctx, tx, c.name, faults); err != nil {
				return fail(&adapters.TemporaryError{Message: err.Error()})
			}
		}
	}

	w, err := c.prepare(ctx, tx, now)
	if err != nil {
		return fail(&adapters.TemporaryError{Message: "sandbox: " + err.Error()})
	}
	defer w.close()
	for i := range changes {
		switch {
		case c.hit(r.reject):
			results[i].Err = &adapters.RejectedError{Reason: "listing is under marketplace review and cannot be edited"}
		case c.hit(r.partial):
			results[i].Err = &adapters.TemporaryError{Message: "item failed: internal error, retry"}
		default:
			results[i].Err = w.apply(ctx, &changes[i])
		}
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
	}
	c.batches++
	crash := faults.CrashAfter > 0 && c.batches >= faults.CrashAfter
	if crash {
		faults.CrashAfter = 0
		if err := writeFaults(ctx, tx, c.name, faults); err != nil {
			return fail(&adapters.TemporaryError{Message: err.Error()})
		}
	}
	if timedOut && !landAnyway {
		return fail(&adapters.TemporaryError{Message: "request timed out", Timeout: true})
	}
	if err := tx.Commit(); err != nil {
		return fail(&adapters.TemporaryError{Message: "sandbox: " + err.Error()})
	}
	if crash {
		killSelf()
	}
	if timedOut {
		return fail(&adapters.TemporaryError{Message: "request timed out", Timeout: true})
	}
	return results
}

// killSelf ends the process as kill -9 would: no deferred functions, no
// flushing, no clean-up.
func killSelf() {
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		_ = p.Kill()
	}
	select {} // the signal is on its way
}

// hit draws whether a fault of the given rate (basis points) happens.
func (c *Channel) hit(bp int64) bool {
	return bp > 0 && c.rnd.Int64N(10000) < bp
}

func writesQuantity(changes []adapters.Change, sku string) bool {
	for i := range changes {
		if changes[i].SKU == sku && (changes[i].Field == adapters.FieldQuantity || changes[i].Field == adapters.FieldListing) {
			return true
		}
	}
	return false
}

// writer holds a batch's prepared statements.
type writer struct {
	c                                         *Channel
	tx                                        *sql.Tx
	now                                       string
	qty, qtyNow, price, compareAt, set, unset *sql.Stmt
	create                                    *sql.Stmt
}

func (c *Channel) prepare(ctx context.Context, tx *sql.Tx, now string) (*writer, error) {
	w := &writer{c: c, tx: tx, now: now}
	for _, p := range []struct {
		into **sql.Stmt
		q    string
	}{
		{&w.qty, `UPDATE listings SET quantity = ?, updated_at = ? WHERE channel = ? AND sku = ? AND quantity IS ?`},
		{&w.qtyNow, `SELECT quantity FROM listings WHERE channel = ? AND sku = ?`},
		{&w.price, `UPDATE listings SET price = ?, updated_at = ? WHERE channel = ? AND sku = ?`},
		{&w.compareAt, `UPDATE listings SET compare_at = ?, updated_at = ? WHERE channel = ? AND sku = ?`},
		{&w.set, `UPDATE listings SET fields = json_set(fields, '$.' || json_quote(?), ?), updated_at = ? WHERE channel = ? AND sku = ?`},
		{&w.unset, `UPDATE listings SET fields = json_remove(fields, '$.' || json_quote(?)), updated_at = ? WHERE channel = ? AND sku = ?`},
		{&w.create, `INSERT INTO listings (channel, sku, quantity, price, compare_at, currency, status, fields, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)
			ON CONFLICT (channel, sku) DO UPDATE SET quantity = excluded.quantity, price = excluded.price,
				compare_at = excluded.compare_at, currency = excluded.currency, fields = excluded.fields,
				updated_at = excluded.updated_at`},
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
	for _, s := range []*sql.Stmt{w.qty, w.qtyNow, w.price, w.compareAt, w.set, w.unset, w.create} {
		if s != nil {
			_ = s.Close() // frees the statement; the transaction reports what matters
		}
	}
}

var errNoListing = &adapters.RejectedError{Reason: "no such listing on the channel"}

// apply writes one change and returns its outcome.
func (w *writer) apply(ctx context.Context, ch *adapters.Change) error {
	name := w.c.name
	switch ch.Field {
	case adapters.FieldListing:
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
		_, err = w.create.ExecContext(ctx, name, ch.SKU, nullInt(l.Quantity), w.c.money(l.Price), w.c.money(l.CompareAt), w.c.currency, fields, w.now)
		return w.dbErr(err)
	case adapters.FieldQuantity:
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
		res, err := w.qty.ExecContext(ctx, to, w.now, name, ch.SKU, from)
		if err != nil {
			return w.dbErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var cur sql.NullInt64
		switch err := w.qtyNow.QueryRowContext(ctx, name, ch.SKU).Scan(&cur); {
		case errors.Is(err, sql.ErrNoRows):
			return errNoListing
		case err != nil:
			return w.dbErr(err)
		}
		if cur.Valid {
			return &adapters.ConflictError{Current: adapters.Units(cur.Int64)}
		}
		return &adapters.ConflictError{}
	case adapters.FieldPrice, adapters.FieldCompareAt:
		v, err := ch.To.Decimal()
		if err != nil {
			return &adapters.RejectedError{Reason: fmt.Sprintf("%s %q is not an amount", ch.Field, ch.To.Text)}
		}
		stmt := w.compareAt
		if ch.Field == adapters.FieldPrice {
			stmt = w.price
			if !v.Valid || !v.Decimal.IsPositive() {
				return &adapters.RejectedError{Reason: fmt.Sprintf("price %s must be above zero", ch.To)}
			}
		}
		res, err := stmt.ExecContext(ctx, w.c.money(v), w.now, name, ch.SKU)
		return w.rowErr(res, err)
	default:
		if ch.Field == "title" && utf8.RuneCountInString(ch.To.Text) > maxTitle {
			return &adapters.RejectedError{Reason: fmt.Sprintf("title is %d characters; the most is %d", utf8.RuneCountInString(ch.To.Text), maxTitle)}
		}
		var res sql.Result
		var err error
		if ch.To.Set {
			res, err = w.set.ExecContext(ctx, ch.Field, ch.To.Text, w.now, name, ch.SKU)
		} else {
			res, err = w.unset.ExecContext(ctx, ch.Field, w.now, name, ch.SKU)
		}
		return w.rowErr(res, err)
	}
}

func (w *writer) rowErr(res sql.Result, err error) error {
	if err != nil {
		return w.dbErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoListing
	}
	return nil
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
