package adapters

import (
	"context"
	"strconv"
)

// Priority is how urgently a call should have its account's budget: when
// calls wait on the same Bucket, the most urgent goes first (and those of
// one priority in the order they came). A listing that shows more than is
// in stock sells what the merchant cannot ship, so quantity cuts go first;
// then the other quantities, then prices, then listing content.
//
// A call carries its priority in its context (WithPriority), so that no
// adapter method needs another argument: an adapter passes its ctx to
// Bucket.Wait and the bucket reads it there.
type Priority int

// The priorities, most urgent first.
const (
	// PriorityQuantityCut is a quantity lowered: every moment it waits,
	// the channel may sell stock that is gone (an oversell).
	PriorityQuantityCut Priority = 2
	// PriorityQuantity is any other quantity, and a listing created.
	PriorityQuantity Priority = 1
	// PriorityDefault is a call nobody marked: the reads of Observe, a
	// refresh after a compare-and-set conflict, asking for a submission's
	// outcome. It sits below quantities, which must never wait behind a
	// page of listings, and above prices and content, because the reads
	// made while an apply runs are what settle its quantities (a conflict,
	// an unknown outcome). It is the zero Priority.
	PriorityDefault Priority = 0
	// PriorityPrice is a price or compare-at price.
	PriorityPrice Priority = -1
	// PriorityContent is a listing field: title, description, images.
	PriorityContent Priority = -2
)

// String is the priority's name in logs and metrics: "quantity_cut",
// "quantity", "default", "price" or "content".
func (p Priority) String() string {
	switch p {
	case PriorityQuantityCut:
		return "quantity_cut"
	case PriorityQuantity:
		return "quantity"
	case PriorityDefault:
		return "default"
	case PriorityPrice:
		return "price"
	case PriorityContent:
		return "content"
	}
	return "priority(" + strconv.Itoa(int(p)) + ")"
}

type priorityKey struct{}

// WithPriority returns ctx carrying p, for the budget buckets the call
// waits on.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityOf returns the priority ctx carries: PriorityDefault when it
// carries none.
func PriorityOf(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok {
		return p
	}
	return PriorityDefault
}

// Priority is how urgently the change should go: a quantity whose To is
// below its From is a cut; any other quantity, and a creation, a quantity;
// a price or compare-at price, a price; a listing field, content. A
// quantity whose From or To is null or not a number cannot be told a cut:
// it is a quantity.
func (c *Change) Priority() Priority {
	switch c.Kind {
	case KindQuantity:
		from, errFrom := c.From.Int()
		to, errTo := c.To.Int()
		if errFrom == nil && errTo == nil && to < from {
			return PriorityQuantityCut
		}
		return PriorityQuantity
	case KindCreate:
		return PriorityQuantity
	case KindPrice, KindCompareAt:
		return PriorityPrice
	case KindField:
		return PriorityContent
	}
	return PriorityDefault
}

// PriorityOfChanges is the priority of a batch: its most urgent change's
// (one cut among a hundred titles makes the request a cut).
// PriorityDefault for no changes.
func PriorityOfChanges(changes []Change) Priority {
	if len(changes) == 0 {
		return PriorityDefault
	}
	p := changes[0].Priority()
	for i := 1; i < len(changes); i++ {
		p = max(p, changes[i].Priority())
	}
	return p
}
