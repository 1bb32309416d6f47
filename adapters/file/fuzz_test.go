package file

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
)

// seed adds the testdata files of the given extensions to the corpus.
func seed(f *testing.F, add func(data []byte, ext string), exts ...string) {
	for _, ext := range exts {
		paths, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			add(data, ext)
		}
	}
}

func FuzzReadExportCSV(f *testing.F) {
	seed(f, func(data []byte, _ string) { f.Add(data) }, ".csv")
	f.Add([]byte("\xef\xbb\xbfsku,quantity,price,compare_at,status,currency\r\nA,1,0.10,,active,EUR\r\n"))
	f.Add([]byte("sku,price\nA,\"12,99\"\nA,1e3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		listings, err := parseExport(src("f.csv", formatCSV), data)
		checkFuzzed(t, "f.csv", listings, err)
	})
}

func FuzzReadExportJSON(f *testing.F) {
	seed(f, func(data []byte, ext string) { f.Add(data, ext == ".jsonl") }, ".json", ".jsonl")
	f.Add([]byte(`[{"sku":"A","price":19.99,"fields":{"tags":["b","a"]}}]`), false)
	f.Add([]byte("{\"sku\":\"A\",\"quantity\":1}\n{\"sku\":\"A\"}\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, lines bool) {
		name, format := "f.json", formatJSON
		if lines {
			name, format = "f.jsonl", formatJSONL
		}
		listings, err := parseExport(src(name, format), data)
		checkFuzzed(t, name, listings, err)
	})
}

// checkFuzzed checks what holds for every export read: errors name the file,
// and listings have a unique SKU, the channel's currency, non-negative prices
// and sorted, named, non-empty fields.
func checkFuzzed(t *testing.T, name string, listings []adapters.Listing, err error) {
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, name+":") && !strings.HasPrefix(line, "and ") {
				t.Fatalf("error line %q does not name the file", line)
			}
		}
		if listings != nil {
			t.Fatalf("listings and an error")
		}
		return
	}
	seen := map[string]bool{}
	for _, l := range listings {
		if l.SKU == "" || seen[l.SKU] || l.Channel != "regional" || l.Currency != "EUR" {
			t.Fatalf("bad listing %+v", l)
		}
		seen[l.SKU] = true
		for _, p := range []struct {
			valid    bool
			negative bool
		}{{l.Price.Valid, l.Price.Decimal.IsNegative()}, {l.CompareAt.Valid, l.CompareAt.Decimal.IsNegative()}} {
			if p.valid && p.negative {
				t.Fatalf("negative price in %+v", l)
			}
		}
		if !sort.SliceIsSorted(l.Fields, func(i, j int) bool { return l.Fields[i].Name < l.Fields[j].Name }) {
			t.Fatalf("fields not sorted: %+v", l.Fields)
		}
		for i, fl := range l.Fields {
			if strings.TrimSpace(fl.Value) == "" || strings.TrimSpace(fl.Name) == "" || (i > 0 && l.Fields[i-1].Name == fl.Name) {
				t.Fatalf("bad fields %+v", l.Fields)
			}
		}
	}
}
