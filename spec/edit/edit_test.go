package edit_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/edit"
)

func TestOverlay(t *testing.T) {
	base := fstest.MapFS{
		"a.hcl":       {Data: []byte("a\n")},
		"b.hcl":       {Data: []byte("b\n")},
		"data/x.csv":  {Data: []byte("x\n")},
		"data/y.csv":  {Data: []byte("y\n")},
		"zz/deep.txt": {Data: []byte("deep\n")},
	}
	tests := []struct {
		name, file, want string
		list             []string // the overlaid file's directory
	}{
		{name: "replaces a file", file: "b.hcl", want: "b edited\n", list: []string{"a.hcl", "b.hcl", "data", "zz"}},
		{name: "adds a file", file: "c.hcl", want: "c\n", list: []string{"a.hcl", "b.hcl", "c.hcl", "data", "zz"}},
		{name: "adds one in a directory", file: "data/w.csv", want: "w\n", list: []string{"w.csv", "x.csv", "y.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := edit.Overlay(base, tt.file, []byte(tt.want))
			if err := fstest.TestFS(o, "a.hcl", tt.file, "data/x.csv"); err != nil {
				t.Fatal(err)
			}
			got, err := fs.ReadFile(o, tt.file)
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", tt.file, got, err, tt.want)
			}
			dir := "."
			if i := strings.LastIndexByte(tt.file, '/'); i >= 0 {
				dir = tt.file[:i]
			}
			entries, err := fs.ReadDir(o, dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if strings.Join(names, " ") != strings.Join(tt.list, " ") {
				t.Errorf("ReadDir(%s) = %v, want %v", dir, names, tt.list)
			}
			if b, _ := fs.ReadFile(base, "b.hcl"); string(b) != "b\n" {
				t.Error("the base file system was changed")
			}
		})
	}
}

// TestPriceOverrideLineEndings checks that a file written with CRLF line
// endings gets its new block with CRLF too, and that nothing else moves.
func TestPriceOverrideLineEndings(t *testing.T) {
	tests := []struct {
		name, hcl, want string
	}{
		{
			name: "LF",
			hcl:  "price_matrix \"default\" {\n  rounding = \"none\"\n}\n",
			want: "price_matrix \"default\" {\n  rounding = \"none\"\n\n  override {\n    sku     = \"A-1\"\n    channel = \"shop\"\n    price   = 21.50\n  }\n}\n",
		},
		{
			name: "CRLF",
			hcl:  "price_matrix \"default\" {\r\n  rounding = \"none\"\r\n}\r\n",
			want: "price_matrix \"default\" {\r\n  rounding = \"none\"\r\n\r\n  override {\r\n    sku     = \"A-1\"\r\n    channel = \"shop\"\r\n    price   = 21.50\r\n  }\r\n}\r\n",
		},
		{
			name: "tabs",
			hcl:  "price_matrix \"default\" {\n\trounding = \"none\"\n}\n",
			want: "price_matrix \"default\" {\n\trounding = \"none\"\n\n\toverride {\n\t  sku     = \"A-1\"\n\t  channel = \"shop\"\n\t  price   = 21.50\n\t}\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"accord.hcl":   {Data: []byte("channel \"shop\" {\n  type = \"sandbox\"\n}\n\nproduct \"A-1\" {\n  price = 20\n}\n")},
				"pricing.hcl":  {Data: []byte(tt.hcl)},
				"products.csv": {Data: []byte("sku,price\n")},
			}
			s, diags := spec.Load(fsys, spec.Options{Dir: "spec", Types: builtin.Registry()})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			f, err := edit.PriceOverride(s, "shop", "A-1", decimal.RequireFromString("21.5"))
			if err != nil {
				t.Fatal(err)
			}
			if string(f.After) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", f.After, tt.want)
			}
			if f.Line != 4 {
				t.Errorf("Line = %d, want 4", f.Line)
			}
		})
	}
}
