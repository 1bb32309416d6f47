// Package apply pushes a plan's changes to the channels: in a safe order,
// in batches of each channel's size, paced to its documented rate,
// retried with exponential backoff and jitter (honouring Retry-After), and
// journaled before and after every batch so that a process killed
// mid-apply loses nothing and sends nothing twice (see Recover).
//
// # Order
//
// The changes go out in three phases; a phase starts when the one before
// has finished on every channel.
//
//  1. Quantity decreases, and price cuts on a channel that a parity rule
//     constrains. Less stock listed first, so that nothing is oversold
//     while other channels catch up; the constrained channel's cut goes
//     before its anchor's, so it is never above its parity limit.
//  2. Every other price cut, and price rises on channels that no parity
//     rule constrains (the anchors). An anchor rises before the channels
//     held to it.
//  3. Price rises on constrained channels, quantity increases, listings
//     created, and listing fields.
//
// A compare-at price change travels with its listing's price change (a
// sale and its strike-through price appear together), or in phase 3.
// Within a phase, channels work in parallel, except those the listing
// block's push_order names: they go one after another in that order
// (each finishing the phase before the next starts), alongside the rest.
package apply

import (
	"sort"
	"strings"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/spec"
)

// Phase is one step of an apply: each channel's changes, in order.
type Phase struct {
	Changes map[string][]plan.Change
}

// Order splits a plan's changes into phases.
func Order(s *spec.Spec, p *plan.Plan) []Phase {
	constrained := map[string]bool{}
	for _, par := range s.Parities {
		constrained[par.Channel] = true
	}
	phases := make([]Phase, 3)
	for i := range phases {
		phases[i].Changes = map[string][]plan.Change{}
	}
	pricePhase := map[adapters.Key]int{}
	phaseOf := func(c *plan.Change) int {
		switch c.Kind {
		case adapters.KindQuantity:
			from, err1 := c.From.Int()
			to, err2 := c.To.Int()
			if err1 == nil && err2 == nil && to < from {
				return 0
			}
			return 2
		case adapters.KindPrice:
			_, cut := plan.PriceDrop(c)
			switch {
			case cut && constrained[c.Channel]:
				return 0
			case cut || !constrained[c.Channel]:
				return 1
			}
			return 2
		}
		return 2
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Kind == adapters.KindPrice {
			pricePhase[c.Key()] = phaseOf(c)
		}
	}
	for i := range p.Changes {
		c := p.Changes[i]
		ph := phaseOf(&c)
		if c.Kind == adapters.KindCompareAt {
			if pp, ok := pricePhase[c.Key()]; ok {
				ph = pp
			}
		}
		phases[ph].Changes[c.Channel] = append(phases[ph].Changes[c.Channel], c)
	}
	for _, ph := range phases {
		for _, cs := range ph.Changes {
			sort.SliceStable(cs, func(i, j int) bool { return rank(&cs[i]) < rank(&cs[j]) })
		}
	}
	return phases
}

// rank orders a channel's changes within a phase: quantity decreases
// before increases, then prices, compare-at prices, creations and fields;
// SKU order is kept within each.
func rank(c *plan.Change) int {
	switch c.Kind {
	case adapters.KindQuantity:
		from, err1 := c.From.Int()
		to, err2 := c.To.Int()
		if err1 == nil && err2 == nil && to < from {
			return 0
		}
		return 1
	case adapters.KindPrice:
		return 2
	case adapters.KindCompareAt:
		return 3
	case adapters.KindCreate:
		return 4
	}
	return 5
}

// lanes groups a phase's channels: each inner slice runs its channels one
// after another; the slices run in parallel.
func lanes(s *spec.Spec, channels []string) [][]string {
	var push []string
	if s.Listing != nil {
		push = s.Listing.PushOrder
	}
	has := map[string]bool{}
	for _, c := range channels {
		has[c] = true
	}
	inPush := map[string]bool{}
	var seq []string
	for _, c := range push {
		if has[c] && !inPush[c] {
			seq = append(seq, c)
			inPush[c] = true
		}
	}
	var out [][]string
	if len(seq) > 0 {
		out = append(out, seq)
	}
	sorted := append([]string(nil), channels...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if !inPush[c] {
			out = append(out, []string{c})
		}
	}
	return out
}

// Describe says in words the order in which an apply sends a change, for
// the report's playbook: the phases above, and the channels push_order
// sends one after another.
func Describe(s *spec.Spec) []string {
	steps := []string{
		"Quantity decreases first, with price cuts on channels a parity rule holds, so nothing is oversold and no held channel sits above its limit while the others catch up.",
		"Then every other price cut, and price rises on the channels parity rules compare against (an anchor rises before the channels held to it).",
		"Then price rises on held channels, quantity increases, new listings and listing fields; a compare-at price travels with its listing's price.",
	}
	if s.Listing != nil && len(s.Listing.PushOrder) > 0 {
		steps = append(steps, "Within each step "+strings.Join(s.Listing.PushOrder, ", then ")+" go one after another, each finishing before the next starts; the other channels go alongside.")
	} else {
		steps = append(steps, "Within each step the channels go in parallel (push_order in the listing block would send some one after another).")
	}
	return steps
}
