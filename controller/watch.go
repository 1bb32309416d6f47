package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	receivers := map[string]adapters.HookReceiver{}
	for name, cn := range conns {
		w, ok := cn.ch.(adapters.Watcher)
		if cn.err != nil || !ok {
			continue
		}
		if hr, ok := w.(adapters.HookReceiver); ok {
			receivers[name] = hr
		}
		go c.watchOne(ctx, name, w, fn)
	}
	c.receivers.Store(&receivers)
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

// ErrNoHooks is a channel that takes no webhooks: not in the spec, not
// opened, or its adapter is not an adapters.HookReceiver.
var ErrNoHooks = errors.New("channel takes no webhooks")

// Hook hands one webhook delivery for the channel name to its adapter
// (adapters.HookReceiver), the one the running Watch listens to, so that
// the events it carries reach the Watch feed. It never waits for a
// reconcile in progress: a channel's webhook is answered at once, however
// long an apply runs. It returns the adapter's reply; an error wrapping
// adapters.ErrBadSignature for a delivery that does not verify, ErrNoHooks
// for a channel that takes none (or no Watch runs).
func (c *Controller) Hook(ctx context.Context, name string, r *http.Request, body []byte) ([]byte, error) {
	var hr adapters.HookReceiver
	if m := c.receivers.Load(); m != nil {
		hr = (*m)[name]
	}
	if hr == nil {
		return nil, fmt.Errorf("channel %s: %w", name, ErrNoHooks)
	}
	reply, err := hr.Receive(ctx, r, body)
	if err != nil {
		return nil, fmt.Errorf("channel %s webhook: %w", name, err)
	}
	return reply, nil
}
