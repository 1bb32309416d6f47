package controller_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/store"
)

// An order a channel reported (once, however often it reports it) comes off the stock file's levels while the
// file was written before it, and is forgotten once a file written after
// it is read; an order on a channel of no pool, or of a SKU the file
// lacks, changes nothing.
func TestSoldUntilTheStockShowsIt(t *testing.T) {
	ctx := t.Context()
	k := baseKit(t, "")
	clock := at
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c := controller.New(controller.Config{Registry: k.reg, Store: st, Owner: "test", Now: func() time.Time { return clock }})
	t.Cleanup(func() { _ = c.Close() })
	s := k.load(k.dir)
	stockFile := filepath.Join(k.dir, "stock.csv")
	written := at.Add(-time.Hour)
	if err := os.Chtimes(stockFile, written, written); err != nil {
		t.Fatal(err)
	}
	level := func() int64 {
		t.Helper()
		l, err := c.Stock(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return l["warehouse"]["S-AA"]
	}
	if got := level(); got != 5 {
		t.Fatalf("before any order: %d", got)
	}
	c.Sold("shop", "", "S-AA", 2, written.Add(-time.Minute)) // in the file already
	c.Sold("shop", "#1001", "S-AA", 3, written.Add(10*time.Minute))
	c.Sold("shop", "#1001", "S-AA", 3, written.Add(11*time.Minute)) // the same order again
	c.Sold("market", "", "S-AA", 1, time.Time{})                    // now, by the controller's clock
	c.Sold("nowhere", "", "S-AA", 4, clock)
	c.Sold("shop", "", "NO-SUCH", 4, clock)
	if got := level(); got != 1 {
		t.Fatalf("with two orders newer than the file: %d, want 5-3-1 = 1", got)
	}
	// The warehouse writes a file that shows the first order only.
	newer := written.Add(20 * time.Minute)
	if err := os.Chtimes(stockFile, newer, newer); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 4 {
		t.Fatalf("after a file written past the first order: %d, want 5-1 = 4", got)
	}
	if err := os.Chtimes(stockFile, clock.Add(time.Minute), clock.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 5 {
		t.Fatalf("after a file written past every order: %d, want 5", got)
	}
	// Forgotten: an older file again does not bring them back.
	if err := os.Chtimes(stockFile, written, written); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 5 {
		t.Fatalf("orders came back: %d", got)
	}
}
