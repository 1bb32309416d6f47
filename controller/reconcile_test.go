package controller_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/file"
	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

// at is the instant every test derives for.
var at = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// brokenChannel is a channel kind whose every read is refused, as a
// marketplace refuses an expired token.
type brokenChannel struct{}

func (brokenChannel) Observe(context.Context, []string, func([]adapters.Listing) error) error {
	return &adapters.AuthError{Message: "HTTP 401: the access token has expired"}
}

func (brokenChannel) Apply(context.Context, []adapters.Change) []adapters.Result {
	panic("a channel that could not be read was written")
}

func (brokenChannel) Limits() adapters.Limits { return adapters.Limits{BatchSize: 10, PageSize: 10} }

// testKit is a spec directory, a registry with test kinds, and state.
type testKit struct {
	t      *testing.T
	dir    string
	reg    *adapters.Registry
	opened atomic.Int64 // sandbox adapters opened
	state  string
}

func newKit(t *testing.T, files map[string]string) *testKit {
	k := &testKit{t: t, dir: t.TempDir()}
	for name, data := range files {
		k.write(name, data)
	}
	sb := sandbox.Kind
	open := sb.Open
	sb.Open = func(ctx context.Context, s adapters.Setup) (adapters.Channel, error) {
		k.opened.Add(1)
		return open(ctx, s)
	}
	k.reg = adapters.NewRegistry(sb, file.Kind,
		adapters.Kind{Name: "broken", Open: func(context.Context, adapters.Setup) (adapters.Channel, error) { return brokenChannel{}, nil }},
	).WithStock(file.StockKind, sandbox.StockKind)
	k.state = filepath.Join(k.dir, ".accord", "state.db")
	return k
}

func (k *testKit) write(name, data string) {
	k.t.Helper()
	if err := os.WriteFile(filepath.Join(k.dir, name), []byte(data), 0o600); err != nil {
		k.t.Fatal(err)
	}
}

// load loads the spec as --dir names it.
func (k *testKit) load(dir string) *spec.Spec {
	k.t.Helper()
	s, diags := spec.LoadDir(dir, spec.Options{Types: k.reg})
	if diags.HasErrors() {
		k.t.Fatal(diags.Error())
	}
	return s
}

// controller opens the state and a controller on it (a process, as far as
// the state can tell), closed when the test ends.
func (k *testKit) controller(owner string) *controller.Controller {
	k.t.Helper()
	st, err := store.Open(context.Background(), k.state, nil)
	if err != nil {
		k.t.Fatal(err)
	}
	c := controller.New(controller.Config{Registry: k.reg, Store: st, Owner: owner})
	k.t.Cleanup(func() {
		_ = c.Close()
		_ = st.Close()
	})
	return c
}

const baseSpec = `
channel "shop" {
  type = "sandbox"
}
channel "market" {
  type = "sandbox"
  config {
    batch_size = 7
  }
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["shop", "market"]
}
price_matrix "default" {
  rounding = "none"
}
listing {
  title = product.title
}
`

func catalog(n int) (products, stock string) {
	var p, s strings.Builder
	p.WriteString("sku,price,title\n")
	s.WriteString("sku,on_hand\n")
	for i := range n {
		sku := "S-" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		p.WriteString(sku + ",10.00,Thing " + sku + "\n")
		s.WriteString(sku + ",5\n")
	}
	return p.String(), s.String()
}

func baseKit(t *testing.T, extra string) *testKit {
	products, stock := catalog(30)
	return newKit(t, map[string]string{"accord.hcl": baseSpec + extra, "products.csv": products, "stock.csv": stock})
}

func TestReconcileAppliesThenNothingToDo(t *testing.T) {
	ctx := context.Background()
	k := baseKit(t, "")
	c := k.controller("accord apply")
	s := k.load(k.dir)
	res, err := c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report == nil || res.Report.Applied != 60 || len(res.Report.Failed) != 0 {
		t.Fatalf("report %+v", res.Report)
	}
	res, err = c.Reconcile(ctx, s, controller.Options{Mode: controller.Plan, At: at})
	if err != nil || !res.Plan.Empty() {
		t.Fatalf("second plan: %v changes, %v", len(res.Plan.Changes), err)
	}
	// The connections were opened once, for both reconciles.
	if n := k.opened.Load(); n != 2 {
		t.Errorf("sandbox adapters opened %d times over two reconciles, want 2 (one per channel)", n)
	}
	// A new spec value with the same channel blocks keeps them; a changed
	// config block reopens that channel alone.
	if _, err := c.Reconcile(ctx, k.load(k.dir), controller.Options{At: at}); err != nil {
		t.Fatal(err)
	}
	if n := k.opened.Load(); n != 2 {
		t.Errorf("reloading an unchanged spec reopened channels: %d opens", n)
	}
	k.write("accord.hcl", strings.Replace(baseSpec, "batch_size = 7", "batch_size = 9", 1))
	if _, err := c.Reconcile(ctx, k.load(k.dir), controller.Options{At: at}); err != nil {
		t.Fatal(err)
	}
	if n := k.opened.Load(); n != 3 {
		t.Errorf("after market's config changed: %d opens, want 3", n)
	}
}

// A channel that cannot be read is the plan's channel error, with its
// reason; the other channels are planned and applied.
func TestOneChannelFailsTheOthersApply(t *testing.T) {
	ctx := context.Background()
	k := baseKit(t, `
channel "amazon" {
  type = "broken"
}
`)
	s := k.load(k.dir)
	c := k.controller("accord apply")
	res, err := c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at})
	var ce *controller.ChannelsError
	if !errors.As(err, &ce) || len(ce.Channels) != 1 || ce.Channels[0].Channel != "amazon" || ce.Channels[0].Reason != adapters.ReasonAuth {
		t.Fatalf("err = %v, want amazon's auth failure", err)
	}
	p := res.Plan
	if p.Observed("amazon") || !p.Observed("shop") {
		t.Errorf("observed: amazon %v, shop %v", p.Observed("amazon"), p.Observed("shop"))
	}
	for _, ch := range p.Changes {
		if ch.Channel == "amazon" {
			t.Fatalf("a change for the unread channel: %+v", ch)
		}
	}
	if res.Report == nil || res.Report.Applied != 60 {
		t.Fatalf("the readable channels were not applied: %+v", res.Report)
	}
	// Nothing of amazon is resolved or opened: it was not looked at.
	ex, err := c.Store().Exceptions(ctx, store.ExceptionFilter{Channel: "amazon"})
	if err != nil || len(ex) != 0 {
		t.Errorf("amazon exceptions %v, %v", ex, err)
	}
}

// Two applies on one state at once (two processes): one applies, the other
// is refused naming the holder, or waits for it; every change lands once.
func TestConcurrentApplies(t *testing.T) {
	ctx := context.Background()
	k := baseKit(t, "")
	s := k.load(k.dir)
	first, second := k.controller("accord apply (first)"), k.controller("accord apply (second)")

	// Without waiting: exactly one applies, the other names the holder.
	var wg sync.WaitGroup
	results := make([]*controller.Result, 2)
	errs := make([]error, 2)
	for i, c := range []*controller.Controller{first, second} {
		wg.Go(func() { results[i], errs[i] = c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at}) })
	}
	wg.Wait()
	applied, refused := 0, 0
	for i, err := range errs {
		var held *store.LeaseHeldError
		switch {
		case err == nil:
			applied += appliedOf(results[i])
		case errors.As(err, &held):
			refused++
			if !strings.Contains(err.Error(), "accord apply (") {
				t.Errorf("the refusal does not name the holder: %v", err)
			}
		default:
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	// Both may have run one after the other (the second found nothing to
	// do); never did both apply a change.
	if applied != 60 || refused > 1 {
		t.Fatalf("applied %d changes in all, %d refused; want 60 applied once", applied, refused)
	}

	// Waiting: a sale moves stock; two applies wait for each other.
	k.write("stock.csv", strings.ReplaceAll(mustRead(t, filepath.Join(k.dir, "stock.csv")), ",5\n", ",4\n"))
	for i, c := range []*controller.Controller{first, second} {
		wg.Go(func() {
			results[i], errs[i] = c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at, LockTimeout: time.Minute})
		})
	}
	wg.Wait()
	applied = 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("apply %d with a lock timeout: %v", i, err)
		}
		applied += appliedOf(results[i])
	}
	if applied != 60 {
		t.Errorf("the stock move applied %d changes in all, want 60 once", applied)
	}
	res, err := first.Reconcile(ctx, s, controller.Options{At: at})
	if err != nil || !res.Plan.Empty() {
		t.Fatalf("final plan: %d changes, %v", len(res.Plan.Changes), err)
	}
	// Every change is in the audit log once.
	audit, err := first.Store().Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range audit {
		seen[e.Channel+" "+e.SKU+" "+e.Field+" "+e.To.Text]++
	}
	for key, n := range seen {
		if n != 1 {
			t.Errorf("%s audited %d times", key, n)
		}
	}
	if len(audit) != 30*2*3+60 {
		t.Errorf("%d audit entries, want %d", len(audit), 30*2*3+60)
	}
}

func appliedOf(r *controller.Result) int {
	if r == nil || r.Report == nil {
		return 0
	}
	return r.Report.Applied
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The revision is the spec's own files by relative path: however --dir is
// spelled, and whatever the stock says.
func TestRevisionIgnoresDirSpellingAndStock(t *testing.T) {
	k := baseKit(t, "")
	abs := controller.Revision(k.load(k.dir))
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, k.dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := controller.Revision(k.load(rel)); got != abs {
		t.Errorf("relative --dir: %s, absolute: %s", got, abs)
	}
	k.write("stock.csv", "sku,on_hand\nS-AA,1\n")
	if got := controller.Revision(k.load(k.dir)); got != abs {
		t.Error("a stock change moved the revision")
	}
	k.write("products.csv", "sku,price,title\nS-AA,11.00,Thing\n")
	if got := controller.Revision(k.load(k.dir)); got == abs {
		t.Error("a catalog change did not move the revision")
	}
}

// A saved plan is applied from another directory, the spec named by an
// absolute path; a plan made for another revision is refused.
func TestSavedPlanAppliedElsewhere(t *testing.T) {
	ctx := context.Background()
	k := baseKit(t, "")
	c := k.controller("accord")
	wd, _ := os.Getwd()
	rel, _ := filepath.Rel(wd, k.dir)
	res, err := c.Reconcile(ctx, k.load(rel), controller.Options{At: at})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := c.Reconcile(ctx, k.load(k.dir), controller.Options{Mode: controller.Apply, Saved: res.Plan})
	if err != nil || applied.Report.Applied != 60 {
		t.Fatalf("saved plan applied from elsewhere: %+v, %v", applied.Report, err)
	}
	k.write("products.csv", strings.Replace(mustRead(t, filepath.Join(k.dir, "products.csv")), "10.00", "12.00", 1))
	_, err = c.Reconcile(ctx, k.load(k.dir), controller.Options{Mode: controller.Apply, Saved: res.Plan})
	var stale *controller.StaleError
	if !errors.As(err, &stale) {
		t.Errorf("a plan of an older revision = %v, want stale", err)
	}
}

// A cancelled reconcile stops: derivation and observation take the context.
func TestReconcileCancelled(t *testing.T) {
	k := baseKit(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.controller("accord").Reconcile(ctx, k.load(k.dir), controller.Options{At: at}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled reconcile = %v", err)
	}
}

// An apply stopped while a channel processes its feed leaves the feed's ID
// in the journal; the next apply asks the channel for that feed's outcome
// and records it, and never submits it again.
func TestSubmittedFeedFinishedByTheNextApply(t *testing.T) {
	ctx := context.Background()
	products, stock := catalog(5)
	k := newKit(t, map[string]string{"products.csv": products, "stock.csv": stock, "accord.hcl": `
channel "amazon" {
  type = "sandbox"
  config {
    async      = true
    feed_delay = "1h"
  }
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["amazon"]
}
`})
	var mu sync.Mutex
	now := at
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st, err := store.Open(ctx, k.state, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c := controller.New(controller.Config{Registry: k.reg, Store: st, Now: clock})
	t.Cleanup(func() { _ = c.Close() })
	s := k.load(k.dir)

	// The feed takes an hour; the apply gives up waiting (a kill, a
	// deploy) with the feed still processing.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	res, err := c.Reconcile(short, s, controller.Options{Mode: controller.Apply, At: at, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err == nil || res.Report == nil {
		t.Fatalf("the apply waiting on the feed: %v, report %+v", err, res.Report)
	}
	for _, f := range res.Report.Failed {
		if f.Kind != "submitted" {
			t.Fatalf("failure %+v, want every change submitted and still processing", f)
		}
	}
	pending, _ := st.PendingBatches(ctx)
	if len(pending) != 1 || pending[0].Submission != "feed-1" {
		t.Fatalf("journal: %+v, want the batch pending with its feed ID", pending)
	}

	// Still processing: the next apply asks, holds the listings (the
	// channel shows none of them yet) and sends nothing for them.
	res, err = c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered.Processing != 1 || len(res.Recovered.Held) != 5 || !res.Plan.Empty() || res.Report != nil {
		t.Fatalf("while the feed processes: recovered %+v, %d changes planned", res.Recovered, len(res.Plan.Changes))
	}
	held, _ := st.Exceptions(ctx, store.ExceptionFilter{Code: plan.CodeSubmissionPending})
	if len(held) != 5 {
		t.Errorf("%d submission_pending exceptions, want 5", len(held))
	}

	// Processed an hour later: the next apply asks for the outcome first,
	// records it, and finds nothing left to send.
	mu.Lock()
	now = now.Add(time.Hour + time.Minute)
	mu.Unlock()
	res, err = c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered.Batches != 1 || res.Recovered.Landed != 5 {
		t.Errorf("recovered %+v, want the feed's batch, 5 creates landed", res.Recovered)
	}
	if !res.Plan.Empty() {
		t.Errorf("after the feed was confirmed the plan has %d changes", len(res.Plan.Changes))
	}
	sb, err := sandbox.OpenChannel(ctx, adapters.Setup{Name: "amazon", Currency: "USD", Scale: 2, SpecDir: k.dir, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if n, err := sb.Feeds(ctx); err != nil || n != 1 {
		t.Errorf("%d feeds submitted, want 1 (never resubmitted): %v", n, err)
	}
	if held, _ := st.Exceptions(ctx, store.ExceptionFilter{Code: plan.CodeSubmissionPending}); len(held) != 0 {
		t.Errorf("%d submission_pending exceptions left open after the feed was confirmed", len(held))
	}
	audit, _ := st.Audit(ctx, store.AuditFilter{})
	if len(audit) != 5 {
		t.Errorf("%d fields audited, want 5 (5 creates with their quantity), each once", len(audit))
	}
}

// A saved plan's word on the guards is not taken: they are checked again
// on its changes, and a plan that breaks them is refused without Force.
func TestSavedPlanGuardsCheckedAgain(t *testing.T) {
	ctx := context.Background()
	k := baseKit(t, "\nguard {\n  max_changes = 10\n}\n")
	c := k.controller("accord")
	s := k.load(k.dir)
	res, err := c.Reconcile(ctx, s, controller.Options{At: at})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Blocked) == 0 {
		t.Fatalf("the plan of %d changes breaks no guard", len(res.Plan.Changes))
	}
	res.Plan.Blocked = nil // as if edited out of the file
	_, err = c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, Saved: res.Plan})
	var guard *controller.GuardError
	if !errors.As(err, &guard) {
		t.Fatalf("a saved plan that breaks the guards = %v, want a GuardError", err)
	}
	applied, err := c.Reconcile(ctx, s, controller.Options{Mode: controller.Apply, Saved: res.Plan, Force: true})
	if err != nil || applied.Report.Applied != 60 {
		t.Fatalf("forced: %+v, %v", applied.Report, err)
	}
}
