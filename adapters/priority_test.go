package adapters

import (
	"context"
	"testing"
)

func TestChangePriority(t *testing.T) {
	qty := func(from, to Value) Change { return Change{Kind: KindQuantity, From: from, To: to} }
	cases := []struct {
		name string
		c    Change
		want Priority
	}{
		{"a quantity lowered is a cut", qty(Units(9), Units(3)), PriorityQuantityCut},
		{"a quantity lowered to zero is a cut", qty(Units(1), Units(0)), PriorityQuantityCut},
		{"a quantity raised", qty(Units(3), Units(9)), PriorityQuantity},
		{"a quantity unchanged", qty(Units(3), Units(3)), PriorityQuantity},
		{"a quantity from nothing observed", qty(Null, Units(0)), PriorityQuantity},
		{"a quantity from something not a number", qty(Value{Text: "many", Set: true}, Units(0)), PriorityQuantity},
		{"a listing created", Change{Kind: KindCreate, Listing: &Listing{}}, PriorityQuantity},
		{"a price", Change{Kind: KindPrice, From: Value{Text: "10.00", Set: true}, To: Value{Text: "9.00", Set: true}}, PriorityPrice},
		{"a compare-at price removed", Change{Kind: KindCompareAt, From: Value{Text: "12.00", Set: true}}, PriorityPrice},
		{"a listing field", Change{Kind: KindField, Field: "title", To: Text("Lamp")}, PriorityContent},
		{"a kind nobody knows", Change{Kind: 0}, PriorityDefault},
	}
	for _, tc := range cases {
		if got := tc.c.Priority(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPriorityOfChanges(t *testing.T) {
	title := Change{Kind: KindField, Field: "title", To: Text("Lamp")}
	price := Change{Kind: KindPrice, To: Value{Text: "9.00", Set: true}}
	up := Change{Kind: KindQuantity, From: Units(1), To: Units(4)}
	cut := Change{Kind: KindQuantity, From: Units(4), To: Units(1)}
	cases := []struct {
		name    string
		changes []Change
		want    Priority
	}{
		{"no changes", nil, PriorityDefault},
		{"content alone", []Change{title, title}, PriorityContent},
		{"a price among titles", []Change{title, price, title}, PriorityPrice},
		{"one cut among the rest", []Change{title, up, price, cut, title}, PriorityQuantityCut},
		{"the first is the most urgent", []Change{cut, title}, PriorityQuantityCut},
	}
	for _, tc := range cases {
		if got := PriorityOfChanges(tc.changes); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPriorityInContext(t *testing.T) {
	ctx := context.Background()
	if got := PriorityOf(ctx); got != PriorityDefault {
		t.Errorf("an unmarked context: %s, want default", got)
	}
	cut := WithPriority(ctx, PriorityQuantityCut)
	if got := PriorityOf(cut); got != PriorityQuantityCut {
		t.Errorf("marked a cut: %s", got)
	}
	if got := PriorityOf(WithPriority(cut, PriorityContent)); got != PriorityContent {
		t.Errorf("marked again as content: %s", got)
	}
	type key struct{}
	if got := PriorityOf(context.WithValue(cut, key{}, 1)); got != PriorityQuantityCut {
		t.Errorf("a child context lost the priority: %s", got)
	}
	order := []Priority{PriorityQuantityCut, PriorityQuantity, PriorityDefault, PriorityPrice, PriorityContent}
	for i := 1; i < len(order); i++ {
		if order[i-1] <= order[i] {
			t.Errorf("%s is not more urgent than %s", order[i-1], order[i])
		}
	}
	if s := Priority(7).String(); s != "priority(7)" {
		t.Errorf("Priority(7) = %q", s)
	}
}
