package controller

import (
	"context"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// Watch listens, until ctx ends, to the events of the channels of s that
// report them (adapters.Watcher) and calls fn with each, its Channel set
// to the channel's name. A watch that fails is started again with backoff;
// channels that cannot be opened are left out. It returns at once: the
// watches run on their own goroutines, on the connections reconciles use.
func (c *Controller) Watch(ctx context.Context, s *spec.Spec, fn func(adapters.Event)) error {
	c.mu.Lock()
	conns := c.connect(ctx, s)
	c.mu.Unlock()
	for name, cn := range conns {
		w, ok := cn.ch.(adapters.Watcher)
		if cn.err != nil || !ok {
			continue
		}
		go c.watchOne(ctx, name, w, fn)
	}
	return nil
}

func (c *Controller) watchOne(ctx context.Context, name string, w adapters.Watcher, fn func(adapters.Event)) {
	bo := &backoff.ExponentialBackOff{InitialInterval: time.Second, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: time.Minute}
	bo.Reset()
	for {
		err := w.Watch(ctx, func(ev adapters.Event) {
			if ev.Channel == "" {
				ev.Channel = name
			}
			fn(ev)
		})
		if ctx.Err() != nil {
			return
		}
		wait := bo.NextBackOff()
		c.log().Warn("watching a channel failed; started again", slog.String("channel", name), slog.Duration("in", wait), slog.Any("err", err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
