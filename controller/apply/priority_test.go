package apply

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
)

// priorityChannel is a fakeChannel that notes the priority each batch's
// context carries.
type priorityChannel struct {
	*fakeChannel
	mu  sync.Mutex
	got map[string]adapters.Priority // "SKU name" -> its batch's priority
}

func (p *priorityChannel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	p.mu.Lock()
	for _, c := range changes {
		p.got[c.SKU+" "+c.Name()] = adapters.PriorityOf(ctx)
	}
	p.mu.Unlock()
	return p.fakeChannel.Apply(ctx, changes)
}

// TestApplyMarksPriority: each batch goes to the channel with the priority
// of its most urgent change, for the account's budget to serve it by.
func TestApplyMarksPriority(t *testing.T) {
	s := loadSpec(t)
	cases := []struct {
		name  string
		batch int
		want  map[string]adapters.Priority
	}{
		{"a change a batch", 1, map[string]adapters.Priority{
			"A quantity":   adapters.PriorityQuantityCut,
			"B quantity":   adapters.PriorityQuantity,
			"A price":      adapters.PriorityPrice,
			"B compare_at": adapters.PriorityPrice,
			"A title":      adapters.PriorityContent,
		}},
		// Order sends the cut first and the price cut next, each alone;
		// the last phase's batch goes as its quantity raised.
		{"batches as large as the phases", 10, map[string]adapters.Priority{
			"A quantity":   adapters.PriorityQuantityCut,
			"A price":      adapters.PriorityPrice,
			"B quantity":   adapters.PriorityQuantity,
			"B compare_at": adapters.PriorityQuantity,
			"A title":      adapters.PriorityQuantity,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := &priorityChannel{fakeChannel: &fakeChannel{limits: adapters.Limits{BatchSize: tc.batch}}, got: map[string]adapters.Priority{}}
			p := &plan.Plan{Changes: []plan.Change{
				change("outlet", "A", "title", "Lamp", "Desk lamp"),
				change("outlet", "A", "price", "10.00", "9.00"),
				change("outlet", "B", "compare_at", "", "25.00"),
				change("outlet", "B", "quantity", "3", "9"),
				change("outlet", "A", "quantity", "7", "2"),
			}}
			rep, err := Apply(context.Background(), p, Options{
				Spec: s, Journal: &journal{}, RunID: 1,
				Targets: map[string]Target{"outlet": {Channel: ch, ChannelSKU: func(sku string) string { return sku }}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Applied != len(p.Changes) {
				t.Fatalf("%s", rep.Summary())
			}
			if !maps.Equal(ch.got, tc.want) {
				t.Errorf("priorities %v, want %v", ch.got, tc.want)
			}
		})
	}
}
