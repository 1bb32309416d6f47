package adapters

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Channel is what accord needs of every sales channel. An adapter is built
// for one channel block of the spec (see Kind.Open) and speaks to that
// channel alone. Optional capabilities are the small interfaces below; the
// controller finds them by type assertion.
type Channel interface {
	// Observe reads what the channel lists now and hands it to page a page
	// at a time (at most Limits().PageSize listings per call), with each
	// listing's Fields sorted by name and its Ref set where the adapter
	// keeps one. With skus empty it reads every listing on the channel,
	// including listings accord does not manage; otherwise only those SKUs,
	// and SKUs the channel does not list are left out. The adapter may reuse
	// the page's slice once page returns: keep the listings, not the slice.
	// page may block (the controller holds a page until the desired state
	// is derived). An error from page stops the read and is returned.
	// Observe paces itself to the account's read budget and returns the
	// failures of errors.go, so that the caller can tell an expired token
	// from an outage.
	Observe(ctx context.Context, skus []string, page func([]Listing) error) error

	// Apply sends one batch of at most Limits().BatchSize changes and
	// returns exactly one Result per change, in order. Values are absolute
	// (set the quantity to 9, never subtract 3), so repeating a change that
	// landed is harmless; creating a listing is not, and a KindCreate change
	// is only sent to a Creator. A failure of the whole request (throttling,
	// a server error, a timeout) is that error in every Result. Apply paces
	// itself to the account's write budget (waiting, and pausing the budget
	// on a Retry-After) but does not retry: the caller retries.
	Apply(ctx context.Context, changes []Change) []Result

	// Limits are the channel's documented sizes.
	Limits() Limits
}

// Limits describe how much one call may carry. How often calls may go is
// the account's Budget.
type Limits struct {
	// BatchSize is the most changes one Apply call may carry.
	BatchSize int
	// PageSize is the most listings one page of Observe carries.
	PageSize int
}

// Result is the outcome of one change.
type Result struct {
	// Err is nil when the channel took the change (or queued it, see
	// Submission); otherwise one of the failures of errors.go says what
	// happens next.
	Err error
	// Submission is set when the channel queued the change for later
	// processing instead of answering (an SP-API or Walmart feed, a Shopify
	// bulk operation): it is the channel's ID for the submission. The change
	// is neither landed nor failed until the Confirmer says; it must never
	// be submitted again meanwhile. Only a Confirmer sets it.
	Submission string
}

// Creator is a channel that can create a listing it lacks, from the
// listing's fields: its Apply accepts KindCreate changes. For a channel that
// is not a Creator, a listing the spec wants and the channel lacks is a
// missing_listing exception.
type Creator interface {
	CreatesListings()
}

// SelectiveCreator is a Creator that can create only some listings: Amazon
// lists an offer on a product it already has, found by the ASIN the catalog
// gives. CannotCreate says why l cannot be created ("" when it can); such a
// listing is a missing_listing exception with that reason instead of a
// change that would fail.
type SelectiveCreator interface {
	Creator
	CannotCreate(l *Listing) string
}

// QuantityCAS is a channel whose quantity writes are compare-and-set: a
// KindQuantity change sends Change.From as the expected quantity and fails
// with a *ConflictError when the channel's quantity has moved since (an
// order), instead of overwriting the sale.
type QuantityCAS interface {
	ComparesQuantities()
}

// BulkObserver is a channel with a cheaper way to read every listing at
// once than paging (Shopify's bulk operations with their JSONL result). The
// controller uses it for a full read; pages are handed over as in Observe.
type BulkObserver interface {
	ObserveAll(ctx context.Context, page func([]Listing) error) error
}

// Confirmer is a channel whose Apply may answer with a Submission. Confirm
// asks for the outcome of the changes submitted as submission: the changes
// whose Results carried it, in the order Apply was given them (after a
// restart, rebuilt from the journal: keys, kinds, values and references,
// without a creation's Listing). It returns one Result per change, a Result
// still carrying the Submission meaning still processing. Confirm never
// submits anything again; the journal records the submission before apply
// moves on, so an apply killed meanwhile is finished by Confirm.
type Confirmer interface {
	Confirm(ctx context.Context, submission string, changes []Change) ([]Result, error)
}

// Watcher is a channel that reports what happens on it outside accord as it
// happens: a real channel from its webhooks or event stream, the sandbox by
// reading its own file. The daemon turns each event into a reason to
// reconcile (an order on one channel lowers the pool's stock on every
// other), so that a sale reaches the other channels in seconds instead of at
// the next resync.
//
// Watch calls fn for every event from the moment it is called until ctx
// ends, when it returns ctx.Err(), or until it fails, when it returns the
// error (one of errors.go's where it can tell). fn is called from one
// goroutine, one event at a time, in the order the channel reports them;
// Watch waits for fn to return. Events are hints, not a ledger: an event
// missed while no Watch runs (before it is called, after it fails, across a
// restart) is not replayed, so the daemon still observes the channel at
// every resync. An adapter leaves out the echoes of accord's own writes
// where it can tell them apart; where it cannot, an echo costs one
// reconcile that finds nothing to do.
type Watcher interface {
	Watch(ctx context.Context, fn func(Event)) error
}

// HookReceiver is a Watcher whose events arrive as the channel's webhooks,
// through accord's HTTP server (POST /api/hooks/channel/NAME, with NAME the
// channel's name in the spec). Receive verifies one delivery as the channel
// signs it, from the request's headers, URL and the raw body exactly as
// received, and pushes the events it carries to the channel's Watch feed.
// A delivery whose signature is missing or wrong is refused with an error
// that wraps ErrBadSignature, and changes nothing. reply, when not nil, is
// the JSON body to answer with (a verification challenge); otherwise the
// answer is an empty 200. A channel that signs nothing is not a
// HookReceiver: accord takes no unsigned events.
type HookReceiver interface {
	Watcher
	Receive(ctx context.Context, r *http.Request, body []byte) (reply []byte, err error)
}

// ErrBadSignature is a webhook delivery whose signature is missing or does
// not verify (HTTP 401).
var ErrBadSignature = errors.New("webhook signature missing or wrong")

// RevisionLimited is a channel that allows a listing only so many
// revisions a day (eBay: 250 a calendar day, every call that changes the
// listing counting one). The controller counts the revisions it sends per
// listing per day in the store and never sends one past the limit, and
// holds a price or field that moves back and forth within the day.
type RevisionLimited interface {
	// RevisionLimit is the most revisions of a listing a day, and the
	// time zone whose midnight starts the channel's day.
	RevisionLimit() (perDay int, day *time.Location)
}

// Event is something that happened on a channel outside accord: an order
// (the listing's quantity moved) or a listing edited (in the channel's
// seller portal, by another app).
type Event struct {
	// Channel is the channel's name in the spec.
	Channel string
	// SKU is the channel's own SKU (see the package comment).
	SKU string
	// Kind says what happened.
	Kind EventKind
	// Units is an order's units; 0 for other kinds.
	Units int64
	// At is when it happened on the channel, by the channel's clock.
	At time.Time
	// ID is the channel's name for what happened (an order's number),
	// when it gives one: a channel that reports one order more than once
	// (a retried webhook, one per status) reports it with one ID, and the
	// daemon counts its units once.
	ID string
}

// EventKind is what an Event reports.
type EventKind int

// The kinds of Event. The zero EventKind is none of them.
const (
	// EventOrder is an order: the listing's quantity fell by its units.
	EventOrder EventKind = iota + 1
	// EventListing is a listing edited outside accord: any of its
	// quantity, prices, status or fields may have moved.
	EventListing
)

// String is the kind's name: "order", "listing".
func (k EventKind) String() string {
	switch k {
	case EventOrder:
		return "order"
	case EventListing:
		return "listing"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Closer is implemented by channels that hold resources (files, locks,
// connections) between calls. The controller closes a channel it opened.
type Closer interface {
	Close() error
}

// Setup is what an adapter is opened with: the channel block of the spec and
// what the controller lends every adapter.
type Setup struct {
	// Name is the channel's name in the spec.
	Name string
	// Currency and Scale are the channel's currency and its minor-unit places.
	Currency string
	Scale    int32
	// SpecDir is the spec directory: relative paths in the config are read
	// from there.
	SpecDir string
	// Config is the channel's config block (nil when it has none), and Eval
	// the context to evaluate it in (variables, locals, env()). Decode it
	// against Kind.Config.
	Config hcl.Body
	Eval   *hcl.EvalContext
	// Now is the clock.
	Now func() time.Time
	// HTTPClient is the client for every request the adapter makes, with
	// timeouts set; tests give one that reaches a local fake. Never
	// http.DefaultClient.
	HTTPClient *http.Client
	// Log is the adapter's logger, already carrying the channel's name.
	Log *slog.Logger
	// UserAgent identifies accord (and its version) to the channel.
	UserAgent string
	// Budgets holds the pacing of every channel account; an adapter takes
	// its account's with Budgets.For, so that every connection to one
	// account shares one budget, across reconciles.
	Budgets *Budgets
}

// Budget returns the budget of account from s.Budgets, or a private one
// when s has none (a test, a one-off command). Budgets run on real time,
// whatever clock s.Now is: pacing is about the channel's seconds, not the
// instant a plan is made for.
func (s Setup) Budget(account string, read, write Rate) *Budget {
	if s.Budgets == nil {
		return NewBudgets(nil).For(account, read, write)
	}
	return s.Budgets.For(account, read, write)
}

// Logger returns s.Log, or a logger that discards.
func (s Setup) Logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}
