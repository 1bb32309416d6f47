package cli

import (
	"errors"
	"strings"
	"testing"
)

// failAfter accepts n bytes, then fails every write.
type failAfter struct {
	n   int
	got strings.Builder
}

var errFull = errors.New("no space left on device")

func (f *failAfter) Write(b []byte) (int, error) {
	if f.got.Len()+len(b) > f.n {
		return 0, errFull
	}
	return f.got.Write(b)
}

func TestPrinterKeepsTheFirstError(t *testing.T) {
	w := &failAfter{n: 6}
	pr := newPrinter(w)
	pr.printf("%s\n", "plan:")
	pr.println("a line too long for the writer")
	pr.printf("more")
	if !errors.Is(pr.err, errFull) {
		t.Fatalf("err = %v, want %v", pr.err, errFull)
	}
	if got := w.got.String(); got != "plan:\n" {
		t.Errorf("written %q, want only what fitted", got)
	}
}

func TestTableAlignsAndReportsToItsParent(t *testing.T) {
	var b strings.Builder
	pr := newPrinter(&b)
	tb := pr.table()
	tb.println("CHANNEL\tSKU")
	tb.printf("%s\t%s\n", "amazon_us", "HP-01")
	tb.flush()
	if pr.err != nil {
		t.Fatal(pr.err)
	}
	want := "CHANNEL    SKU\namazon_us  HP-01\n"
	if b.String() != want {
		t.Errorf("table = %q, want %q", b.String(), want)
	}

	w := &failAfter{n: 3}
	pr = newPrinter(w)
	tb = pr.table()
	tb.println("CHANNEL\tSKU")
	tb.flush()
	if !errors.Is(pr.err, errFull) {
		t.Errorf("a table's write error reached its parent as %v, want %v", pr.err, errFull)
	}
}
