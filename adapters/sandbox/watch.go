package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accordhq/accord/adapters"
)

// DefaultWatchInterval is how often Watch looks for new events when the
// config does not say.
const DefaultWatchInterval = 250 * time.Millisecond

// watchPage is the most events one look reads at once.
const watchPage = 500

// addEvent records what a webhook would carry: an order or a listing edited
// outside accord, in the transaction that made it.
func addEvent(ctx context.Context, tx *sql.Tx, channel, sku string, kind adapters.EventKind, units int64, at string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (channel, sku, kind, units, at) VALUES (?, ?, ?, ?, ?)`,
		channel, sku, kind.String(), units, at)
	return err
}

// Watch makes the sandbox an adapters.Watcher. Orders and edits come from
// other processes (`accord sandbox sell` and `set` in another terminal, the
// sell-on-apply hook inside an apply), so Watch looks in the sandbox file
// every watch_interval for the events recorded since it was called, and
// calls fn for each of the channel's, in the order they happened. accord's
// own writes through Apply and Confirm record no event.
func (c *Channel) Watch(ctx context.Context, fn func(adapters.Event)) error {
	var last int64
	if err := c.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&last); err != nil {
		return c.watchErr(ctx, err)
	}
	return c.watch(ctx, last, fn)
}

// watch reports the channel's events after the one numbered last.
func (c *Channel) watch(ctx context.Context, last int64, fn func(adapters.Event)) error {
	tick := time.NewTicker(c.cfg.WatchInterval)
	defer tick.Stop()
	var page []adapters.Event
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		for {
			var err error
			page, last, err = c.events(ctx, last, page[:0])
			if err != nil {
				return c.watchErr(ctx, err)
			}
			// fn runs with no read open on the file: it may take its time,
			// or read the channel itself.
			for _, e := range page {
				if err := ctx.Err(); err != nil {
					return err
				}
				fn(e)
			}
			if len(page) < watchPage {
				break
			}
		}
	}
}

// events reads up to watchPage of the channel's events after the one
// numbered last into page, and returns the number of the last one read.
func (c *Channel) events(ctx context.Context, last int64, page []adapters.Event) ([]adapters.Event, int64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id, sku, kind, units, at FROM events
		WHERE channel = ? AND id > ? ORDER BY id LIMIT ?`, c.name, last, watchPage)
	if err != nil {
		return page, last, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e        = adapters.Event{Channel: c.name}
			kind, at string
		)
		if err := rows.Scan(&last, &e.SKU, &kind, &e.Units, &at); err != nil {
			return page, last, err
		}
		switch kind {
		case "order":
			e.Kind = adapters.EventOrder
		case "listing":
			e.Kind = adapters.EventListing
		default:
			return page, last, fmt.Errorf("event %d is of no kind the sandbox knows: %q", last, kind)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return page, last, fmt.Errorf("event %d: %w", last, err)
		}
		page = append(page, e)
	}
	return page, last, rows.Err()
}

// watchErr is the error Watch returns for err: the context's when it has
// ended (a query it cut short), otherwise err saying what failed.
func (c *Channel) watchErr(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return &adapters.TemporaryError{Message: fmt.Sprintf("sandbox: watch %s: %v", c.name, err)}
}
