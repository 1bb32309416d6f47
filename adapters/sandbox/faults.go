package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// Faults is what can go wrong on a sandbox channel, so that every retry
// and partial-failure path of an apply can be made to run. Shares are
// percentages ("30%") of requests or of items.
type Faults struct {
	// Throttle is the share of apply requests refused with HTTP 429 and a
	// Retry-After of RetryAfter.
	Throttle string `json:"throttle,omitempty"`
	// ServerError is the share of apply requests that fail with a 5xx.
	ServerError string `json:"server_error,omitempty"`
	// Timeout is the share of apply requests that time out; half of those
	// land on the channel anyway, as real timeouts do.
	Timeout string `json:"timeout,omitempty"`
	// Partial is the share of items of a batch that fail with a transient
	// error while the rest of the batch lands.
	Partial string `json:"partial,omitempty"`
	// Reject is the share of items rejected for good.
	Reject string `json:"reject,omitempty"`
	// RetryAfter is what a throttled response asks the client to wait
	// (a Go duration, default "1s").
	RetryAfter string `json:"retry_after,omitempty"`
	// Seed makes the faults reproducible; 0 draws one from the clock.
	Seed uint64 `json:"seed,omitempty"`

	// CrashAfter is a test hook: the process applying to this channel is
	// killed (SIGKILL, no clean-up) right after its CrashAfter-th batch is
	// committed and before the answer reaches accord. It fires once.
	CrashAfter int `json:"crash_after,omitempty"`
	// InterruptAfter is a test hook: the process applying to this channel
	// is sent SIGINT, as a person pressing Ctrl-C, right after its
	// InterruptAfter-th batch is committed. It fires once.
	InterruptAfter int `json:"interrupt_after,omitempty"`
	// SellOnApply is a test hook: an order for the SKU lands on the channel
	// just before the first apply request that writes its quantity, as if
	// a customer bought between accord's observe and its apply. Each fires
	// once. It is a customer's order like any (see Order): refused when the
	// listing shows fewer units at that moment (or is not there yet, for a
	// listing the batch creates), which uses the hook up and lets the batch
	// go on; oversold when the warehouse is short; reported by Watch.
	SellOnApply []Sale `json:"sell_on_apply,omitempty"`
}

// Sale is an order of Units of SKU (the channel's SKU); StockSKU is the
// catalog SKU the warehouse knows it by ("" when they are the same).
type Sale struct {
	SKU      string `json:"sku"`
	StockSKU string `json:"stock_sku,omitempty"`
	Units    int64  `json:"units"`
}

// rates are Faults parsed into basis points (1/10,000).
type rates struct {
	throttle, serverError, timeout, partial, reject int64
	retryAfter                                      time.Duration
}

// parse checks the faults and returns their rates.
func (f *Faults) parse() (rates, error) {
	var r rates
	var errs []error
	share := func(name, s string, into *int64) {
		if s == "" {
			return
		}
		bp, err := basisPoints(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		*into = bp
	}
	share("throttle", f.Throttle, &r.throttle)
	share("server_error", f.ServerError, &r.serverError)
	share("timeout", f.Timeout, &r.timeout)
	share("partial", f.Partial, &r.partial)
	share("reject", f.Reject, &r.reject)
	r.retryAfter = time.Second
	if f.RetryAfter != "" {
		d, err := time.ParseDuration(f.RetryAfter)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("retry_after: %q is not a duration such as 500ms or 2s", f.RetryAfter))
		} else {
			r.retryAfter = d
		}
	}
	if f.CrashAfter < 0 || f.InterruptAfter < 0 {
		errs = append(errs, errors.New("crash_after and interrupt_after must not be negative"))
	}
	for _, s := range f.SellOnApply {
		if s.SKU == "" || s.Units <= 0 {
			errs = append(errs, fmt.Errorf("sell_on_apply: %q x %d: name a SKU and a positive number of units", s.SKU, s.Units))
		}
	}
	return r, errors.Join(errs...)
}

// basisPoints parses a share such as "30%" or "2.5%".
func basisPoints(s string) (int64, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, fmt.Errorf("%q: write a percentage such as \"30%%\"", s)
	}
	d, err := decimal.NewFromString(num)
	if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) {
		return 0, fmt.Errorf("%q: write a percentage from 0%% to 100%%", s)
	}
	return d.Mul(decimal.NewFromInt(100)).Round(0).IntPart(), nil
}

// IsZero reports whether no fault and no hook is set.
func (f *Faults) IsZero() bool {
	return f.Throttle == "" && f.ServerError == "" && f.Timeout == "" && f.Partial == "" &&
		f.Reject == "" && f.CrashAfter == 0 && f.InterruptAfter == 0 && len(f.SellOnApply) == 0
}

func readFaults(ctx context.Context, q querier, channel string) (Faults, error) {
	var text string
	err := q.QueryRowContext(ctx, `SELECT config FROM faults WHERE channel = ?`, channel).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return Faults{}, nil
	}
	if err != nil {
		return Faults{}, fmt.Errorf("sandbox: read faults of %s: %w", channel, err)
	}
	var f Faults
	if err := json.Unmarshal([]byte(text), &f); err != nil {
		return Faults{}, fmt.Errorf("sandbox: faults of %s: %w", channel, err)
	}
	return f, nil
}

func writeFaults(ctx context.Context, q querier, channel string, f Faults) error {
	if f.IsZero() && f.Seed == 0 && f.RetryAfter == "" {
		_, err := q.ExecContext(ctx, `DELETE FROM faults WHERE channel = ?`, channel)
		return err
	}
	text, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO faults (channel, config) VALUES (?, ?)
		ON CONFLICT (channel) DO UPDATE SET config = excluded.config`, channel, string(text))
	return err
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// request is one apply request, with the faults the marketplace drew for
// it at its front door.
type request struct {
	c          *Channel
	faults     Faults
	r          rates
	timedOut   bool
	landAnyway bool
}

// admit reads the channel's faults and decides a request's fate at the
// door: refused by the server-side rate limit, throttled, or failed with a
// 5xx (the error); otherwise let in, perhaps to time out (half of the
// timeouts land anyway, as real ones do). A refusal for the rate pauses the
// account's write budget for its Retry-After. c.mu is held.
func (c *Channel) admit(ctx context.Context) (*request, error) {
	faults, err := readFaults(ctx, c.db, c.name)
	if err != nil {
		return nil, &adapters.TemporaryError{Message: err.Error()}
	}
	r, err := faults.parse()
	if err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: faults: " + err.Error()}
	}
	if c.limiter != nil {
		if res := c.limiter.Reserve(); res.Delay() > 0 {
			retry := res.Delay()
			res.Cancel()
			c.budget.Write.Pause(retry)
			return nil, &adapters.ThrottledError{RetryAfter: retry, Message: "sandbox rate limit exceeded"}
		}
	}
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
		c.budget.Write.Pause(r.retryAfter)
		return nil, &adapters.ThrottledError{RetryAfter: r.retryAfter, Message: "HTTP 429 Too Many Requests"}
	case c.hit(r.serverError):
		return nil, &adapters.TemporaryError{Message: "HTTP 503 Service Unavailable"}
	}
	req := &request{c: c, faults: faults, r: r}
	req.timedOut = c.hit(r.timeout)
	req.landAnyway = req.timedOut && c.rnd.IntN(2) == 0
	return req, nil
}

// item draws the fate of one item of the request: rejected for good, failed
// for a moment, or nil (written).
func (q *request) item() error {
	switch {
	case q.c.hit(q.r.reject):
		return &adapters.RejectedError{Reason: "listing is under marketplace review and cannot be edited"}
	case q.c.hit(q.r.partial):
		return &adapters.TemporaryError{Message: "item failed: internal error, retry"}
	}
	return nil
}

// hit draws whether a fault of the given rate (basis points) happens.
func (c *Channel) hit(bp int64) bool {
	return bp > 0 && c.rnd.Int64N(10000) < bp
}

// sellOnApply fires the sell-on-apply hooks of the SKUs whose quantity the
// batch writes: the order lands first, in the batch's transaction, as if a
// customer bought between accord's observe and its write. An order the
// listing cannot cover is refused, as Sell refuses it: the hook has fired
// and the batch goes on.
func (c *Channel) sellOnApply(ctx context.Context, tx *sql.Tx, changes []adapters.Change, req *request, now time.Time) error {
	if len(req.faults.SellOnApply) == 0 {
		return nil
	}
	var left []Sale
	for _, s := range req.faults.SellOnApply {
		if !writesQuantity(changes, s.SKU) {
			left = append(left, s)
			continue
		}
		stockSKU := s.StockSKU
		if stockSKU == "" {
			stockSKU = s.SKU
		}
		var refused *RefusedError
		if _, err := sell(ctx, tx, c.name, s.SKU, stockSKU, s.Units, now); err != nil && !errors.As(err, &refused) {
			return err
		}
	}
	if len(left) == len(req.faults.SellOnApply) {
		return nil
	}
	req.faults.SellOnApply = left
	return writeFaults(ctx, tx, c.name, req.faults)
}

func writesQuantity(changes []adapters.Change, sku string) bool {
	for i := range changes {
		if changes[i].SKU == sku && (changes[i].Kind == adapters.KindQuantity || changes[i].Kind == adapters.KindCreate) {
			return true
		}
	}
	return false
}
