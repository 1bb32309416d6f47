package controller

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
)

// maxSales bounds the orders kept for stock sources that have not caught
// up with them; maxSaleAge is how long one is kept at most.
const (
	maxSales   = 100_000
	maxSaleAge = 7 * 24 * time.Hour
	timeGrain  = time.Second
)

// sales are the orders the channels reported as they happened (an
// adapters.EventOrder from a Watch: a webhook, the sandbox's file) that a
// stock source may not show yet. A stock file written by a warehouse
// system at 10:00 does not know of an order at 10:01: until a file written
// later is read, the order's units are taken off its levels, so that a
// sale on one channel lowers every other channel of the pool at once and
// is never listed again on the channel that sold it.
type sales struct {
	mu   sync.Mutex
	list []sale
	// seen holds the keys of the sales in list that carry the channel's
	// ID, to count an order reported twice once.
	seen map[string]bool
}

type sale struct {
	channel, sku string // the catalog SKU
	units        int64
	at           time.Time
	key          string // channel, ID and SKU; "" without an ID
}

// Sold records an order of units of the catalog SKU sku on channel at at
// (the channel's time of the order; zero: now), which the stock sources
// may not show yet: reconciles take it off the levels of the sources of
// the channel's pools until they read levels as of a later time. id is the
// channel's ID of the order ("" when it gives none): an order reported
// again with the same ID is counted once.
func (c *Controller) Sold(channel, id, sku string, units int64, at time.Time) {
	if units <= 0 {
		return
	}
	if at.IsZero() {
		at = c.now()
	}
	c.sales.mu.Lock()
	defer c.sales.mu.Unlock()
	key := ""
	if id != "" {
		key = channel + "\x00" + id + "\x00" + sku
		if c.sales.seen[key] {
			return
		}
		if c.sales.seen == nil {
			c.sales.seen = map[string]bool{}
		}
		c.sales.seen[key] = true
	}
	c.sales.list = append(c.sales.list, sale{channel: channel, sku: sku, units: units, at: at, key: key})
	if over := len(c.sales.list) - maxSales; over > 0 {
		for _, sl := range c.sales.list[:over] {
			delete(c.sales.seen, sl.key)
		}
		c.sales.list = append(c.sales.list[:0], c.sales.list[over:]...)
	}
}

// readStock reads the on-hand stock of s's pools and takes off the orders
// the sources do not show yet (see sales), forgetting those every source
// shows now.
func (c *Controller) readStock(ctx context.Context, s *spec.Spec) (stock.Levels, map[string][]byte, hcl.Diagnostics) {
	levels, sources, diags := stock.Read(ctx, c.cfg.Registry, s, s.Dir, c.cfg.Now)
	if diags.HasErrors() {
		return levels, sources, diags
	}
	c.sales.mu.Lock()
	defer c.sales.mu.Unlock()
	if len(c.sales.list) == 0 {
		return levels, sources, diags
	}
	now := c.now()
	asOf := stock.AsOf(c.cfg.Registry, s, s.Dir)
	// The sources each channel sells from.
	from := map[string][]string{}
	for _, p := range s.Pools {
		for _, ch := range p.Channels {
			from[ch] = append(from[ch], p.Source)
		}
	}
	kept := c.sales.list[:0]
	for _, sl := range c.sales.list {
		pending := false
		done := map[string]bool{}
		for _, src := range from[sl.channel] {
			if done[src] {
				continue
			}
			done[src] = true
			at, ok := asOf[src]
			if !ok {
				at = now // a live source shows every order already
			}
			// Channels give an order's time to the second: an order in
			// the second the source was written may not be in it.
			if !sl.at.Add(timeGrain).After(at) {
				continue
			}
			pending = true
			if units, ok := levels[src][sl.sku]; ok {
				levels[src][sl.sku] = units - sl.units
			}
		}
		if pending && now.Sub(sl.at) < maxSaleAge {
			kept = append(kept, sl)
		} else if sl.key != "" {
			// Forgotten once the stock shows it: a delivery of the same
			// order after that finds the order in the stock.
			delete(c.sales.seen, sl.key)
		}
	}
	c.sales.list = kept
	return levels, sources, diags
}
