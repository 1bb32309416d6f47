package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller"
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
		l.cfg.Log.Debug("channel event", slog.String("channel", ev.Channel), slog.String("sku", sku), slog.String("kind", ev.Kind.String()), slog.Int64("units", ev.Units))
		if ev.Kind == adapters.EventOrder {
			// The stock source may not show the order yet: its units come
			// off the pool until it does.
			l.cfg.Controller.Sold(ev.Channel, ev.ID, sku, ev.Units, ev.At)
		}
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

// ErrNotWatching is a channel webhook that came while the daemon watches
// no revision (before the first one loaded): the channel should send it
// again later.
var ErrNotWatching = errors.New("the daemon is not watching the channels yet")

// ChannelHook hands a webhook delivery for channel name to its adapter, on
// the connection the running watch uses, so that a verified order reaches
// the Watch feed and asks for a reconcile at once.
func (l *Loop) ChannelHook(ctx context.Context, name string, r *http.Request, body []byte) ([]byte, error) {
	l.mu.Lock()
	watching := l.watching != nil
	l.mu.Unlock()
	if !watching {
		return nil, ErrNotWatching
	}
	reply, err := l.cfg.Controller.Hook(ctx, name, r, body)
	if err != nil && !errors.Is(err, adapters.ErrBadSignature) && !errors.Is(err, controller.ErrNoHooks) {
		return nil, fmt.Errorf("hook of %s: %w", name, err)
	}
	return reply, err
}
