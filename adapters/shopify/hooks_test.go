package shopify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// watching runs Watch on ch until the test ends and returns the events it
// hands over.
func watching(t *testing.T, ch *Channel) <-chan adapters.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	evs := make(chan adapters.Event, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ch.Watch(ctx, func(ev adapters.Event) { evs <- ev })
	}()
	t.Cleanup(func() { cancel(); <-done })
	// Watch has registered once a pushed event comes out.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ch.hooks.Push(adapters.Event{Channel: "probe"})
		select {
		case <-evs:
			return evs
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("Watch never started")
		}
	}
}

func deliver(t *testing.T, ch *Channel, h http.Header, body []byte) error {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/hooks/channel/shopify", bytes.NewReader(body))
	r.Header = h.Clone()
	_, err := ch.Receive(t.Context(), r, body)
	return err
}

func next(t *testing.T, evs <-chan adapters.Event) adapters.Event {
	t.Helper()
	select {
	case ev := <-evs:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return adapters.Event{}
}

// none checks that the deliveries so far gave no event: events come out
// in order, so a sentinel pushed now must be the next.
func none(t *testing.T, ch *Channel, evs <-chan adapters.Event) {
	t.Helper()
	ch.hooks.Push(adapters.Event{Channel: "sentinel"})
	if ev := next(t, evs); ev.Channel != "sentinel" {
		t.Fatalf("unexpected event %+v", ev)
	}
}

func TestWebhookOrder(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopify", Currency: "USD", Scale: 2}, 3))
	ch := f.open(t, "")
	evs := watching(t, ch)

	h, body := f.OrderHook(adaptertest.SKU(2), 2)
	if err := deliver(t, ch, h, body); err != nil {
		t.Fatal(err)
	}
	ev := next(t, evs)
	if ev.Kind != adapters.EventOrder || ev.SKU != adaptertest.SKU(2) || ev.Units != 2 || ev.Channel != "shopify" || ev.At.IsZero() {
		t.Fatalf("event = %+v", ev)
	}
	// Shopify retries a delivery with the same ID: taken once.
	if err := deliver(t, ch, h, body); err != nil {
		t.Fatal(err)
	}
	none(t, ch, evs)
}

func TestWebhookRefused(t *testing.T) {
	f := newFakeShop(t)
	f.Seed(adaptertest.Listings(adaptertest.Fixture{Channel: "shopify", Currency: "USD", Scale: 2}, 1))
	ch := f.open(t, "")
	evs := watching(t, ch)
	h, body := f.OrderHook(adaptertest.SKU(0), 1)

	tampered := bytes.Replace(body, []byte(`"quantity":1`), []byte(`"quantity":9`), 1)
	unsigned := h.Clone()
	unsigned.Del("X-Shopify-Hmac-Sha256")
	wrong := h.Clone()
	wrong.Set("X-Shopify-Hmac-Sha256", Sign("another secret", body))
	for name, c := range map[string]struct {
		h    http.Header
		body []byte
	}{"tampered": {h, tampered}, "unsigned": {unsigned, body}, "wrong secret": {wrong, body}, "not base64": {func() http.Header {
		x := h.Clone()
		x.Set("X-Shopify-Hmac-Sha256", "%%%")
		return x
	}(), body}} {
		if err := deliver(t, ch, c.h, c.body); !errors.Is(err, adapters.ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
		}
	}
	none(t, ch, evs)

	// Without a webhook_secret every delivery is refused.
	bare := f.open(t, "")
	bare.cfg.webhookSecret = ""
	if err := deliver(t, bare, h, body); !errors.Is(err, adapters.ErrBadSignature) {
		t.Errorf("no secret: err = %v", err)
	}
}

func TestWebhookInventoryLevel(t *testing.T) {
	f := newFakeShop(t)
	fx := adaptertest.Fixture{Channel: "shopify", Currency: "USD", Scale: 2}
	ls := adaptertest.Listings(fx, 2)
	f.Seed(ls)
	ch := f.open(t, "")
	evs := watching(t, ch)

	// Before the item is observed the adapter cannot name it.
	h, body := f.LevelHook(adaptertest.SKU(1))
	if err := deliver(t, ch, h, body); err != nil {
		t.Fatal(err)
	}
	none(t, ch, evs)

	var seen []adapters.Listing
	if err := ch.Observe(t.Context(), nil, func(p []adapters.Listing) error { seen = append(seen, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	// The echo of accord's own write is left out...
	var l adapters.Listing
	for _, x := range seen {
		if x.SKU == adaptertest.SKU(1) {
			l = x
		}
	}
	res := ch.Apply(t.Context(), []adapters.Change{{Key: l.Key, Kind: adapters.KindQuantity, Ref: l.Ref,
		From: adapters.Value{Text: "1", Set: true}, To: adapters.Value{Text: "5", Set: true}}})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	h, body = f.LevelHook(adaptertest.SKU(1))
	if err := deliver(t, ch, h, body); err != nil {
		t.Fatal(err)
	}
	none(t, ch, evs)
	// ...and a level someone else set is an event.
	f.Sell(adaptertest.SKU(1), 1)
	h, body = f.LevelHook(adaptertest.SKU(1))
	if err := deliver(t, ch, h, body); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, evs); ev.Kind != adapters.EventListing || ev.SKU != adaptertest.SKU(1) {
		t.Fatalf("event = %+v", ev)
	}
}

func TestWebhookTopics(t *testing.T) {
	ch := &Channel{name: "shopify", log: slog.New(slog.DiscardHandler)}
	cases := []struct {
		topic, body string
		want        []adapters.Event
	}{
		{topicOrderCreate, `{"id":820982911946154508,"created_at":"2026-11-30T10:00:00Z","line_items":[{"sku":"A","quantity":2},{"sku":null,"quantity":1},{"sku":"B","quantity":1}]}`,
			[]adapters.Event{{Channel: "shopify", SKU: "A", Kind: adapters.EventOrder, Units: 2, At: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), ID: "820982911946154508"},
				{Channel: "shopify", SKU: "B", Kind: adapters.EventOrder, Units: 1, At: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), ID: "820982911946154508"}}},
		{topicOrderCancelled, `{"updated_at":"2026-11-30T11:00:00Z","line_items":[{"sku":"A","quantity":2}]}`,
			[]adapters.Event{{Channel: "shopify", SKU: "A", Kind: adapters.EventListing, At: time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)}}},
		{topicProductUpdate, `{"variants":[{"sku":"A"},{"sku":""}]}`, []adapters.Event{{Channel: "shopify", SKU: "A", Kind: adapters.EventListing}}},
		{"customers/create", `{"id":1}`, nil},
	}
	for _, c := range cases {
		got, err := ch.hookEvents(c.topic, []byte(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.topic, err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s: got %+v, want %+v", c.topic, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: event %d = %+v, want %+v", c.topic, i, got[i], c.want[i])
			}
		}
	}
	if _, err := ch.hookEvents(topicOrderCreate, []byte(`{"line_items":`)); err == nil {
		t.Error("truncated JSON read without an error")
	}
}

// FuzzWebhook: a payload never panics, and every event names a SKU.
func FuzzWebhook(f *testing.F) {
	for _, s := range []string{`{"line_items":[{"sku":"A","quantity":1}]}`, `{"inventory_item_id":1,"location_id":1,"available":3}`, `{"variants":[{"sku":"x"}]}`, `[]`, `{"line_items":null}`} {
		f.Add(topicOrderCreate, []byte(s))
		f.Add(topicInventoryLevel, []byte(s))
		f.Add(topicProductUpdate, []byte(s))
	}
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		ch := &Channel{name: "shopify", log: slog.New(slog.DiscardHandler), items: map[string]string{gidInventoryItem + "1": "A"}}
		evs, err := ch.hookEvents(topic, body)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.SKU == "" || ev.Units < 0 {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}
