package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
)

// An order in the sandbox is a customer's order on one channel. The
// customer buys what the channel lists: an order for more units than the
// listing shows (or for a listing the channel lacks) is refused, as a
// checkout refuses it. An order taken lowers the listing's quantity and
// draws the warehouse; when the warehouse holds fewer units than the order,
// the units it lacks are oversold: the customer paid for units nobody can
// ship, which is what accord keeps the channels in accord to prevent. Each
// order records its oversold units (Channel.Oversells counts them).
//
// A SKU the warehouse has no row for is not kept there (the spec's stock
// comes from elsewhere, a file stock source, say): an order draws nothing
// for it and cannot oversell.

// Order is an order the channel took.
type Order struct {
	// ID is the order's number in the sandbox, increasing.
	ID int64
	// Channel and SKU (the channel's own) name the listing sold.
	Channel, SKU string
	// Units is how many were sold; Left, what the listing shows after.
	Units, Left int64
	// Oversold is how many of Units the warehouse did not hold.
	Oversold int64
	// At is when it was placed, by the channel's clock.
	At time.Time
}

// RefusedError is an order the channel refused: the listing does not show
// the units ordered.
type RefusedError struct {
	// Channel and SKU (the channel's own) name the listing.
	Channel, SKU string
	// Units is the order's; Listed, what the listing showed.
	Units, Listed int64
	// Missing is set when the channel has no such listing.
	Missing bool
}

func (e *RefusedError) Error() string {
	if e.Missing {
		return fmt.Sprintf("refused: %s lists no SKU %s", e.Channel, e.SKU)
	}
	return fmt.Sprintf("refused: %s lists %d of %s; an order of %d cannot be placed", e.Channel, e.Listed, e.SKU, e.Units)
}

// Sell places a customer's order of units of sku (the channel's SKU) on the
// channel, drawing stockSKU (the catalog SKU the warehouse knows it by)
// from the warehouse: see the comment above Order. An order the listing
// cannot cover is refused with a *RefusedError and changes nothing.
func (c *Channel) Sell(ctx context.Context, sku, stockSKU string, units int64) (Order, error) {
	if units <= 0 {
		return Order{}, fmt.Errorf("sell %d: sell at least one unit", units)
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Order{}, fmt.Errorf("sandbox: %w", err)
	}
	defer tx.Rollback()
	o, err := sell(ctx, tx, c.name, sku, stockSKU, units, c.now())
	if err != nil {
		return Order{}, err
	}
	if err := tx.Commit(); err != nil {
		return Order{}, fmt.Errorf("sandbox: sell: %w", err)
	}
	return o, nil
}

// sell places an order in tx (see Sell).
func sell(ctx context.Context, tx *sql.Tx, channel, sku, stockSKU string, units int64, at time.Time) (Order, error) {
	o := Order{Channel: channel, SKU: sku, Units: units, At: at}
	now := at.UTC().Format(time.RFC3339Nano)
	var qty sql.NullInt64
	switch err := tx.QueryRowContext(ctx, `SELECT quantity FROM listings WHERE channel = ? AND sku = ?`, channel, sku).Scan(&qty); {
	case errors.Is(err, sql.ErrNoRows):
		return Order{}, &RefusedError{Channel: channel, SKU: sku, Units: units, Missing: true}
	case err != nil:
		return Order{}, fmt.Errorf("sandbox: sell: %w", err)
	}
	// A listing whose quantity nobody manages shows none to buy.
	if !qty.Valid || qty.Int64 < units {
		return Order{}, &RefusedError{Channel: channel, SKU: sku, Units: units, Listed: qty.Int64}
	}
	o.Left = qty.Int64 - units
	if _, err := tx.ExecContext(ctx, `UPDATE listings SET quantity = ?, updated_at = ? WHERE channel = ? AND sku = ?`, o.Left, now, channel, sku); err != nil {
		return Order{}, fmt.Errorf("sandbox: sell: %w", err)
	}
	var onHand int64
	switch err := tx.QueryRowContext(ctx, `SELECT on_hand FROM warehouse WHERE sku = ?`, stockSKU).Scan(&onHand); {
	case errors.Is(err, sql.ErrNoRows):
		// Not kept in the warehouse: nothing to draw.
	case err != nil:
		return Order{}, fmt.Errorf("sandbox: sell: %w", err)
	default:
		o.Oversold = max(0, units-onHand)
		if _, err := tx.ExecContext(ctx, `UPDATE warehouse SET on_hand = ? WHERE sku = ?`, max(0, onHand-units), stockSKU); err != nil {
			return Order{}, fmt.Errorf("sandbox: sell: %w", err)
		}
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO orders (channel, sku, units, at, oversold) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		channel, sku, units, now, o.Oversold).Scan(&o.ID)
	if err == nil {
		err = addEvent(ctx, tx, channel, sku, adapters.EventOrder, units, now)
	}
	if err != nil {
		return Order{}, fmt.Errorf("sandbox: sell: %w", err)
	}
	return o, nil
}

// Oversells counts the channel's orders that oversold and the units they
// oversold, over every SKU or over the given ones (the channel's SKUs).
func (c *Channel) Oversells(ctx context.Context, skus ...string) (orders, units int64, err error) {
	q := `SELECT count(*), coalesce(sum(oversold), 0) FROM orders WHERE channel = ? AND oversold > 0`
	args := []any{c.name}
	if len(skus) > 0 {
		q += ` AND sku IN (?` + strings.Repeat(",?", len(skus)-1) + `)`
		for _, s := range skus {
			args = append(args, s)
		}
	}
	if err := c.db.QueryRowContext(ctx, q, args...).Scan(&orders, &units); err != nil {
		return 0, 0, fmt.Errorf("sandbox: oversells of %s: %w", c.name, err)
	}
	return orders, units, nil
}
