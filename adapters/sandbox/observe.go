package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

const listingColumns = `sku, quantity, price, compare_at, currency, status, fields, ref`

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
			q := `SELECT ` + listingColumns + ` FROM listings
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
		buf, err = c.query(ctx, `SELECT `+listingColumns+` FROM listings
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
			ref              sql.NullString
		)
		if err := rows.Scan(&l.SKU, &qty, &price, &compareAt, &currency, &status, &fields, &ref); err != nil {
			return nil, fmt.Errorf("sandbox: observe %s: %w", c.name, err)
		}
		l.Channel = c.name
		l.Ref = adapters.Ref(ref.String)
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
