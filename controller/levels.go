package controller

import (
	"context"

	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
)

// Stock reads the on-hand stock of s's pools, as a reconcile would: the
// daemon compares it between reconciles to reconcile only the SKUs whose
// stock moved. It does not wait for a reconcile in progress.
func (c *Controller) Stock(ctx context.Context, s *spec.Spec) (stock.Levels, error) {
	levels, sources, diags := stock.Read(ctx, c.cfg.Registry, s, s.Dir, c.cfg.Now)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags, Sources: sources}
	}
	return levels, nil
}
