package controller_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
	"github.com/accordhq/accord/adapters/file"
	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/controller"
)

// hookedChannel takes webhooks signed "ok" and is slow to read: its
// Observe waits until release is closed.
type hookedChannel struct {
	hooks    apikit.Hooks
	observed chan struct{}
	release  chan struct{}
}

func (h *hookedChannel) Observe(ctx context.Context, _ []string, _ func([]adapters.Listing) error) error {
	select {
	case h.observed <- struct{}{}:
	default:
	}
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hookedChannel) Apply(_ context.Context, changes []adapters.Change) []adapters.Result {
	return make([]adapters.Result, len(changes))
}

func (h *hookedChannel) Limits() adapters.Limits { return adapters.Limits{BatchSize: 10, PageSize: 10} }

func (h *hookedChannel) Watch(ctx context.Context, fn func(adapters.Event)) error {
	return h.hooks.Watch(ctx, fn)
}

func (h *hookedChannel) Receive(_ context.Context, r *http.Request, _ []byte) ([]byte, error) {
	if r.Header.Get("X-Sig") != "ok" {
		return nil, adapters.ErrBadSignature
	}
	h.hooks.Push(adapters.Event{SKU: "S-AA", Kind: adapters.EventOrder, Units: 1})
	return nil, nil
}

// A channel's webhook is taken while a reconcile is under way (here one
// stuck reading the channel), and its event reaches the watch at once; a
// channel that takes no webhooks, or a bad signature, is refused.
func TestHookDuringReconcile(t *testing.T) {
	ctx := t.Context()
	ch := &hookedChannel{observed: make(chan struct{}, 1), release: make(chan struct{})}
	k := baseKit(t, "")
	k.reg = adapters.NewRegistry(sandbox.Kind, file.Kind,
		adapters.Kind{Name: "hooked", Open: func(context.Context, adapters.Setup) (adapters.Channel, error) { return ch, nil }},
	).WithStock(file.StockKind, sandbox.StockKind)
	hooked := strings.Replace(baseSpec, "channel \"market\" {\n  type = \"sandbox\"\n  config {\n    batch_size = 7\n  }\n}", "channel \"market\" {\n  type = \"hooked\"\n}", 1)
	if hooked == baseSpec {
		t.Fatal("the market channel is not in baseSpec as expected")
	}
	k.write("accord.hcl", hooked)
	c := k.controller("accord run")
	s := k.load(k.dir)
	events := make(chan adapters.Event, 10)
	if err := c.Watch(ctx, s, func(ev adapters.Event) { events <- ev }); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at})
		done <- err
	}()
	<-ch.observed // the reconcile holds the controller now
	for ch.hooks.Watchers() == 0 {
		time.Sleep(time.Millisecond)
	}
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/hooks/channel/market", nil)
	r.Header.Set("X-Sig", "ok")
	answered := make(chan error, 1)
	go func() { _, err := c.Hook(ctx, "market", r, nil); answered <- err }()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("Hook: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Hook waited for the reconcile")
	}
	if ev := <-events; ev.Channel != "market" || ev.SKU != "S-AA" || ev.Units != 1 {
		t.Errorf("event %+v", ev)
	}
	r.Header.Set("X-Sig", "forged")
	if _, err := c.Hook(ctx, "market", r, nil); !errors.Is(err, adapters.ErrBadSignature) {
		t.Errorf("forged: %v", err)
	}
	if _, err := c.Hook(ctx, "shop", r, nil); !errors.Is(err, controller.ErrNoHooks) {
		t.Errorf("a sandbox channel: %v", err)
	}
	close(ch.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
