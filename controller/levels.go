package controller

import (
	"context"
	"fmt"

	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
)

// Stock reads the on-hand stock of s's pools, as a reconcile would: the
// daemon compares it between reconciles to reconcile only the SKUs whose
// stock moved. It does not wait for a reconcile in progress.
func (c *Controller) Stock(ctx context.Context, s *spec.Spec) (stock.Levels, error) {
	levels, sources, diags := c.readStock(ctx, s)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags, Sources: sources}
	}
	return levels, nil
}

// oversellCounter is a channel that counts the orders it accepted and its
// stock could not fill (the sandbox does; a real channel cannot tell).
type oversellCounter interface {
	Oversells(ctx context.Context, skus ...string) (orders, units int64, err error)
}

// Oversells returns, for each channel of s that counts them, the orders it
// accepted that its stock could not fill.
func (c *Controller) Oversells(ctx context.Context, s *spec.Spec) (map[string]int64, error) {
	c.mu.Lock()
	conns := c.connect(ctx, s)
	c.mu.Unlock()
	out := map[string]int64{}
	for name, cn := range conns {
		oc, ok := cn.ch.(oversellCounter)
		if cn.err != nil || !ok {
			continue
		}
		orders, _, err := oc.Oversells(ctx)
		if err != nil {
			return nil, fmt.Errorf("oversells of %s: %w", name, err)
		}
		out[name] = orders
	}
	return out, nil
}
