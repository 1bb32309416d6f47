package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/accordhq/accord/adapters"
)

// Apply sends one batch: see the package comment for what can go wrong. It
// reads as a request would travel: accord's side paces it, the network adds
// latency, the marketplace's front door may refuse it (size, rate limit,
// injected 429 and 5xx), and then the market writes each change (or, for an
// async channel, queues them as a feed).
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	if err := c.budget.Write.Wait(ctx, 1); err != nil {
		return failAll(len(changes), err)
	}
	if err := c.travel(ctx); err != nil {
		return failAll(len(changes), err)
	}
	if len(changes) > c.cfg.BatchSize {
		return failAll(len(changes), &adapters.RejectedError{Reason: fmt.Sprintf("a request carries at most %d changes, not %d", c.cfg.BatchSize, len(changes))})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	req, err := c.admit(ctx)
	if err != nil {
		return failAll(len(changes), err)
	}
	if c.cfg.Async {
		return c.submit(ctx, changes, req)
	}
	return c.write(ctx, changes, req)
}

// failAll is a failure of the whole request, in every change's result.
func failAll(n int, err error) []adapters.Result {
	results := make([]adapters.Result, n)
	for i := range results {
		results[i].Err = err
	}
	return results
}

// travel is the request's time on the network.
func (c *Channel) travel(ctx context.Context) error {
	if c.cfg.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(c.cfg.Latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// write applies a batch in one transaction, with the request's faults: each
// item may be rejected or fail for a moment; the request may time out
// before or after the transaction commits; the crash hook may kill the
// process after it commits, before accord hears the answer.
func (c *Channel) write(ctx context.Context, changes []adapters.Change, req *request) []adapters.Result {
	// The market's own statements run to the end of the request: a
	// cancelled apply is seen between items and before the commit, as a
	// server sees a dropped connection, and the driver need not watch the
	// context of every statement (a goroutine each).
	db := context.WithoutCancel(ctx)
	tx, err := c.db.BeginTx(db, nil)
	if err != nil {
		return failAll(len(changes), &adapters.TemporaryError{Message: "sandbox: " + err.Error()})
	}
	defer tx.Rollback()
	results, err := c.writeIn(ctx, tx, changes, req)
	if err != nil {
		return failAll(len(changes), err)
	}
	if err := ctx.Err(); err != nil {
		return failAll(len(changes), err)
	}
	crash, interrupt, err := c.countBatch(db, tx, req)
	if err != nil {
		return failAll(len(changes), &adapters.TemporaryError{Message: err.Error()})
	}
	if req.timedOut && !req.landAnyway {
		return failAll(len(changes), errTimedOut)
	}
	if err := tx.Commit(); err != nil {
		return failAll(len(changes), &adapters.TemporaryError{Message: "sandbox: " + err.Error()})
	}
	if crash {
		killSelf()
	}
	if interrupt {
		interruptSelf()
		// Answer once the signal has been handled (the apply's context
		// ends), as a batch in flight when Ctrl-C is pressed does: the
		// apply then sends nothing more, however loaded the machine.
		t := time.NewTimer(10 * time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	if req.timedOut {
		return failAll(len(changes), errTimedOut)
	}
	return results
}

// writeIn writes a batch's changes in tx, each with the fate the request
// draws for it. An error fails the whole batch.
func (c *Channel) writeIn(ctx context.Context, tx *sql.Tx, changes []adapters.Change, req *request) ([]adapters.Result, error) {
	db := context.WithoutCancel(ctx) // see write
	at := c.now()
	if err := c.sellOnApply(db, tx, changes, req, at); err != nil {
		return nil, &adapters.TemporaryError{Message: err.Error()}
	}
	w, err := c.prepare(db, tx, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
	}
	defer w.close()
	for i := range changes {
		if changes[i].Kind == adapters.KindCreate {
			w.creates++
		}
	}
	results := make([]adapters.Result, len(changes))
	for i := range changes {
		if results[i].Err = req.item(); results[i].Err == nil {
			results[i].Err = w.apply(db, &changes[i])
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return results, nil
}

var errTimedOut = &adapters.TemporaryError{Message: "request timed out", Timeout: true}

// countBatch counts a batch that lands and reports whether the crash hook
// or the interrupt hook fires on it; each fires once, and write acts on it
// once the batch has committed.
func (c *Channel) countBatch(ctx context.Context, q querier, req *request) (crash, interrupt bool, err error) {
	c.batches++
	crash = req.faults.CrashAfter > 0 && c.batches >= req.faults.CrashAfter
	interrupt = req.faults.InterruptAfter > 0 && c.batches >= req.faults.InterruptAfter
	if !crash && !interrupt {
		return false, false, nil
	}
	if crash {
		req.faults.CrashAfter = 0
	}
	if interrupt {
		req.faults.InterruptAfter = 0
	}
	return crash, interrupt, writeFaults(ctx, q, c.name, req.faults)
}

// interruptSelf sends the process SIGINT, as Ctrl-C at its terminal would.
func interruptSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(os.Interrupt)
	}
}

// killSelf ends the process as kill -9 would: no deferred functions, no
// flushing, no clean-up.
func killSelf() {
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		_ = p.Kill()
	}
	select {} // the signal is on its way
}
