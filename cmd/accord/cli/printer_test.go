package cli

import (
	"testing/fstest"
	"time"

	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
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

func TestColumnsFitTheWidth(t *testing.T) {
	rows := [][]string{
		{"CHANNEL", "SKU", "FIELDS"},
		{"amazon_us", "HP-01", `title="Acme Wireless Headphones with a very long name" gtin="0400638133393"`},
		{"web", "HP-2", `title="Short"`},
	}
	for _, tt := range []struct {
		name  string
		width int
		wrap  bool
		want  string
	}{
		{"piped: full width", 0, false, `CHANNEL    SKU    FIELDS
amazon_us  HP-01  title="Acme Wireless Headphones with a very long name" gtin="0400638133393"
web        HP-2   title="Short"
`},
		{"terminal: the flexible column is cut", 50, false, `CHANNEL    SKU    FIELDS
amazon_us  HP-01  title="Acme Wireless Headphone…
web        HP-2   title="Short"
`},
		{"one SKU: wrapped, nothing cut", 50, true, `CHANNEL    SKU    FIELDS
amazon_us  HP-01  title="Acme Wireless Headphones
                  with a very long name"
                  gtin="0400638133393"
web        HP-2   title="Short"
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			pr := newPrinter(&b)
			pr.columns(rows, 2, tt.width, tt.wrap)
			if pr.err != nil {
				t.Fatal(pr.err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
			for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
				if n := utf8.RuneCountInString(line); tt.width > 0 && n >= tt.width {
					t.Errorf("line of %d characters in %d: %q", n, tt.width, line)
				}
			}
		})
	}
}

// explain on a terminal narrower than its steps puts the source first and
// wraps the detail under itself; piped, it keeps the table as it is.
func TestExplainFitsTheTerminal(t *testing.T) {
	s, res := explainFixture(t)
	var piped, narrow strings.Builder
	if err := writeExplain(&piped, s, res, "A-1", 0); err != nil {
		t.Fatal(err)
	}
	if err := writeExplain(&narrow, s, res, "A-1", 60); err != nil {
		t.Fatal(err)
	}
	wide := 0
	for _, line := range strings.Split(piped.String(), "\n") {
		wide = max(wide, utf8.RuneCountInString(line))
	}
	if wide < 60 {
		t.Fatalf("the fixture's explanation is %d wide; it must be wider than 60 for this test", wide)
	}
	for _, line := range strings.Split(narrow.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 60 && !strings.HasPrefix(line, "A-1 ") {
			t.Errorf("a line of %d characters on a 60-column terminal: %q", n, line)
		}
	}
	// Nothing is cut: every word of the piped text is in the narrow one.
	if a, b := strings.Fields(piped.String()), strings.Fields(narrow.String()); len(a) != len(b) {
		t.Errorf("the narrow explanation has %d words, the full one %d", len(b), len(a))
	}
}

func explainFixture(t *testing.T) (*spec.Spec, *derive.Result) {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{
		"accord.hcl": {Data: []byte(`
channel "marketplace" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
price_matrix "default" {
  rounding   = "0.99"
  min_margin = "15%"
  channel "marketplace" {
    adjust = "+8%"
  }
}
listing {
  title = "${product.brand} ${product.title} in the colour of the season, with a long name"
}
`)},
		"products.csv": {Data: []byte("sku,price,cost,title,brand\nA-1,39.99,20.00,Wireless Headphones,Acme\n")},
	}, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s, derive.Derive(s, derive.Options{At: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Trace: true, SKUs: []string{"A-1"}})
}
