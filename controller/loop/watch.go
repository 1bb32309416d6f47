package loop

import (
	"context"
	"log/slog"

	"github.com/accordhq/accord/adapters"
)

// watch listens to the events of the channels of a revision that report
// them (adapters.Watcher), until the next revision: an order or an edit
// asks for a reconcile of that SKU at once.
func (l *Loop) watch(ctx context.Context, ld *loaded) {
	l.stopWatching()
	wctx, cancel := context.WithCancel(ctx)
	l.mu.Lock()
	l.watching = cancel
	l.mu.Unlock()
	err := l.cfg.Controller.Watch(wctx, ld.spec, func(ev adapters.Event) {
		sku := ev.SKU
		if m := ld.catalog[ev.Channel]; m != nil {
			if cs, ok := m[ev.SKU]; ok {
				sku = cs
			}
		}
		l.cfg.Log.Debug("channel event", slog.String("channel", ev.Channel), slog.String("sku", sku), slog.Int("kind", int(ev.Kind)), slog.Int64("units", ev.Units))
		l.request("event", false, false, sku)
	})
	if err != nil {
		l.cfg.Log.Warn("watching the channels failed; sales reach the other channels at the next resync", slog.Any("err", err))
	}
}

// stopWatching ends the watch of the last revision.
func (l *Loop) stopWatching() {
	l.mu.Lock()
	cancel := l.watching
	l.watching = nil
	l.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
