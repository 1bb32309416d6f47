package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// observeEach reads the given channels in parallel, one goroutine each, and
// hands channel i's pages to page(i, ...) and then calls done(i, its
// adapter), both on channel i's goroutine. A page slice is the adapter's
// and may be reused once page returns. skus (catalog SKUs) nil reads
// everything, through a bulk read where the adapter has one. It returns
// each channel's error, nil where it was read: one channel's outage does
// not stop the others.
func (c *Controller) observeEach(ctx context.Context, s *spec.Spec, conns map[string]*conn, channels []string, skus []string,
	page func(i int, page []adapters.Listing) error, done func(i int, ch adapters.Channel) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, len(channels))
	for i, name := range channels {
		wg.Go(func() {
			cn := conns[name]
			switch {
			case cn == nil:
				errs[i] = fmt.Errorf("no channel %q in the spec", name)
				return
			case cn.err != nil:
				errs[i] = cn.err
				return
			}
			sc, _, _ := s.Channel(name)
			want := channelSKUs(s, sc, skus)
			var err error
			switch bulk, isBulk := cn.ch.(adapters.BulkObserver); {
			case skus != nil && len(want) == 0:
				// None of the SKUs is listed on this channel: nothing to read.
			case skus == nil && isBulk:
				err = bulk.ObserveAll(ctx, func(p []adapters.Listing) error { return page(i, p) })
			default:
				err = cn.ch.Observe(ctx, want, func(p []adapters.Listing) error { return page(i, p) })
			}
			if err == nil {
				err = done(i, cn.ch)
			}
			if err != nil {
				errs[i] = fmt.Errorf("observe %s: %w", name, err)
			}
		})
	}
	wg.Wait()
	return errs
}

// channelSKUs maps catalog SKUs to a channel's own; skus nil gives nil.
func channelSKUs(s *spec.Spec, ch *spec.Channel, skus []string) []string {
	if skus == nil {
		return nil
	}
	out := make([]string, 0, len(skus))
	for _, sku := range skus {
		if p, _, ok := s.Product(sku); ok {
			if cs, listed := ch.ChannelSKU(p); listed {
				out = append(out, cs)
			}
		}
	}
	return out
}

// channelSKU maps one catalog SKU to the channel's own (itself when the
// product or the channel is unknown).
func channelSKU(s *spec.Spec, channel, sku string) string {
	ch, _, ok := s.Channel(channel)
	p, _, okp := s.Product(sku)
	if !ok || !okp {
		return sku
	}
	if cs, listed := ch.ChannelSKU(p); listed {
		return cs
	}
	return sku
}

// observe reads the channels, keyed by the channel's SKU. c.mu is held.
func (c *Controller) observe(ctx context.Context, s *spec.Spec, conns map[string]*conn, channels, skus []string) (map[string][]adapters.Listing, error) {
	got := make([][]adapters.Listing, len(channels))
	errs := c.observeEach(ctx, s, conns, channels, skus, func(i int, page []adapters.Listing) error {
		got[i] = append(got[i], page...)
		return nil
	}, func(int, adapters.Channel) error { return nil })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string][]adapters.Listing, len(channels))
	for i, name := range channels {
		out[name] = got[i]
	}
	return out, nil
}

// Observe reads what the channels of s hold now, in parallel; skus (catalog
// SKUs) nil reads everything. Listings are keyed by the channel's SKU. Any
// channel that cannot be read fails the call.
func (c *Controller) Observe(ctx context.Context, s *spec.Spec, channels, skus []string) (map[string][]adapters.Listing, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.observe(ctx, s, c.connect(ctx, s), channels, skus)
}

// indexBySKU indexes a channel's listings by its SKU.
func indexBySKU(ls []adapters.Listing) map[string]*adapters.Listing {
	idx := make(map[string]*adapters.Listing, len(ls))
	for i := range ls {
		idx[ls[i].SKU] = &ls[i]
	}
	return idx
}
