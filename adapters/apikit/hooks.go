package apikit

import (
	"context"
	"sync"

	"github.com/accordhq/accord/adapters"
)

// maxQueued is the most events Hooks keeps for a Watch that has not taken
// them yet; past it the oldest are dropped (events are hints, and the next
// resync observes the channel anyway).
const maxQueued = 100_000

// Hooks is the Watch feed of a channel whose events arrive as webhooks:
// the adapter's Receive verifies a delivery and Pushes its events, and
// Watch hands them to its caller. Events pushed while no Watch runs are
// dropped, as adapters.Watcher allows. The zero Hooks is ready to use.
type Hooks struct {
	mu       sync.Mutex
	watchers int
	queue    []adapters.Event
	wake     chan struct{}
	dropped  int
}

// Push queues events for the running Watch calls. It never blocks.
func (h *Hooks) Push(evs ...adapters.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watchers == 0 {
		h.dropped += len(evs)
		return
	}
	h.queue = append(h.queue, evs...)
	if over := len(h.queue) - maxQueued; over > 0 {
		h.queue = append(h.queue[:0], h.queue[over:]...)
		h.dropped += over
	}
	if h.wake == nil {
		h.wake = make(chan struct{}, 1)
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Dropped is how many events were pushed with no Watch to take them, or
// past the queue's bound.
func (h *Hooks) Dropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// Watchers is how many Watch calls run now.
func (h *Hooks) Watchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.watchers
}

// Watch calls fn with every event pushed from now until ctx ends, in the
// order pushed, one at a time, and returns ctx.Err(). Several Watch calls
// share one queue: each event goes to one of them.
func (h *Hooks) Watch(ctx context.Context, fn func(adapters.Event)) error {
	h.mu.Lock()
	h.watchers++
	if h.wake == nil {
		h.wake = make(chan struct{}, 1)
	}
	wake := h.wake
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.watchers--
		if h.watchers == 0 {
			h.queue = nil
		}
		h.mu.Unlock()
	}()
	for {
		h.mu.Lock()
		evs := h.queue
		h.queue = nil
		h.mu.Unlock()
		for _, ev := range evs {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fn(ev)
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}
