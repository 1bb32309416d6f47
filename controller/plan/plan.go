// Package plan compares what the spec asks of every channel (the desired
// listings), what the channels hold (observed) and what accord last
// applied (the store), and turns the difference into a Plan: the changes
// to push, each with its reason, and the exceptions a person should see.
//
// A plan is a value: computed once, rendered as text, markdown or JSON,
// saved to a file and applied later. Diff does no I/O; the controller
// gathers its inputs.
//
// How a difference between desired (d) and observed (o) is read, per
// field, with a the last applied value:
//
//	no a, or a != d   reason "spec": the desired value moved (or accord
//	                  never set the field); always changed
//	a == d, o != d    reason "drift": someone changed the channel outside
//	                  accord; the channel's drift policy for the field's
//	                  kind decides: correct (a change and a drift
//	                  exception), report (an exception only), ignore
//
// Values are compared in their canonical text (money at the currency's
// minor-unit places, field white space normalised), so nothing shows as
// drift that is not.
package plan

import (
	"time"

	"github.com/accordhq/accord/adapters"
)

// Reasons of a change.
const (
	ReasonSpec  = "spec"
	ReasonDrift = "drift"
)

// Exception codes a plan raises.
const (
	CodeDrift            = "drift"
	CodeOversellRisk     = "oversell_risk"
	CodePriceParity      = "price_parity"
	CodeMAPViolation     = "map_violation"
	CodeUnmanagedListing = "unmanaged_listing"
	CodeMissingListing   = "missing_listing"
	CodeApplyFailed      = "apply_failed"
	// CodeRevisionHeld is a change held back because its listing's
	// revisions for the day would run out (eBay allows 250), or because
	// its value moved back and forth too often today.
	CodeRevisionHeld = "revision_held"
	// CodeSubmissionPending is a listing a channel is still processing an
	// earlier submission (a feed) for: nothing more is sent for it until
	// the channel says what became of that one.
	CodeSubmissionPending = "submission_pending"
)

// Change is one thing of one listing to set. SKU is the catalog SKU.
type Change struct {
	Channel string
	SKU     string
	// Kind is what the change sets; Field names the listing field, for
	// adapters.KindField only.
	Kind   adapters.ChangeKind
	Field  string
	From   adapters.Value
	To     adapters.Value
	Reason string
	// Listing is the listing to create, for adapters.KindCreate.
	Listing *adapters.Listing
	// Ref is the adapter's reference to the listing as observed, handed
	// back to the adapter with the change (see adapters.Ref).
	Ref adapters.Ref
	// Sale is the promotion that sets the price, on a price or compare-at
	// change made while one runs (see adapters.Change.Sale).
	Sale *adapters.Sale
}

// Name is the change's name in plans, the journal and the audit log:
// "quantity", "price", "compare_at", "listing" or the listing field's name.
func (c *Change) Name() string { return adapters.NameOf(c.Kind, c.Field) }

// Key is the change's listing.
func (c *Change) Key() adapters.Key { return adapters.Key{Channel: c.Channel, SKU: c.SKU} }

// Exception is something a person should look at. SKU and Field may be "".
type Exception struct {
	Code     string
	Channel  string
	SKU      string
	Field    string
	Observed adapters.Value
	Expected adapters.Value
	// Action is what accord does about it: "correct" (a change in this
	// plan), "report" (nothing; a person decides) or "block".
	Action  string
	Message string
}

// ChannelError is a channel the plan could not read: it has no changes and
// its exceptions were not looked at, while the other channels were planned.
type ChannelError struct {
	Channel string
	// Reason says what went wrong in a word (auth, throttled,
	// unreachable, bad_response, config, unavailable...).
	Reason  adapters.Reason
	Message string
}

// Plan is the changes and exceptions of one comparison.
type Plan struct {
	// Revision identifies the spec the plan was made from.
	Revision string
	// At is the instant the desired state was derived for.
	At time.Time
	// Created is when the plan was made.
	Created time.Time
	// Channels are the channels the plan covers, sorted.
	Channels []string
	// Currencies and Scales hold each channel's currency and its minor-unit
	// places, for rendering money.
	Currencies map[string]string
	// Changes are sorted by channel, SKU and field.
	Changes    []Change
	Exceptions []Exception
	// Blocked lists the guards the plan breaks; apply refuses it without
	// --force.
	Blocked []string
	// ChannelErrors are the channels in scope that could not be read.
	ChannelErrors []ChannelError
	// Errors are the derivation's errors (a price under its floor, a
	// promotion conflict): a plan that has any is shown, never applied,
	// as Terraform's errored plans.
	Errors []string
	// edited is set on a plan read from a file (ReadJSON) whose changes do
	// not match the checksum accord plan wrote with them.
	edited bool
}

// Edited reports whether the plan was read from a file whose changes were
// altered after accord wrote it: their checksum no longer matches.
func (p *Plan) Edited() bool { return p.edited }

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Errored reports whether the plan may not be applied because the desired
// state has errors.
func (p *Plan) Errored() bool { return len(p.Errors) > 0 }

// Observed reports whether the plan read the channel.
func (p *Plan) Observed(channel string) bool {
	for _, e := range p.ChannelErrors {
		if e.Channel == channel {
			return false
		}
	}
	return true
}
