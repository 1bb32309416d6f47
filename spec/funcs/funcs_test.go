package funcs

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/zclconf/go-cty/cty"
)

func TestCleanPath(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"products.csv", "products.csv", ""},
		{"data/./products.csv", "data/products.csv", ""},
		{`data\products.csv`, "data/products.csv", ""},
		{"data/../products.csv", "products.csv", ""},
		{"../products.csv", "", "leaves the spec directory"},
		{"/etc/passwd", "", "is absolute"},
		{`C:\data.csv`, "", "is absolute"},
		{"", "", "empty"},
	} {
		got, err := CleanPath(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CleanPath(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestEnvAndFile(t *testing.T) {
	env := map[string]string{"REGION": "eu"}
	table := Table(fstest.MapFS{"notes.txt": {Data: []byte("hello")}, "bin": {Data: []byte{0xff, 0xfe}}},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	call := func(name string, args ...string) (string, error) {
		vals := make([]cty.Value, len(args))
		for i, a := range args {
			vals[i] = cty.StringVal(a)
		}
		v, err := table[name].Call(vals)
		if err != nil {
			return "", err
		}
		return v.AsString(), nil
	}
	for _, tt := range []struct {
		fn   string
		args []string
		want string
		err  string
	}{
		{"env", []string{"REGION"}, "eu", ""},
		{"env", []string{"MISSING", "fallback"}, "fallback", ""},
		{"env", []string{"MISSING"}, "", "environment variable MISSING is not set"},
		{"env", []string{"A", "b", "c"}, "", "at most one default"},
		{"file", []string{"notes.txt"}, "hello", ""},
		{"file", []string{"nope.txt"}, "", "no file nope.txt"},
		{"file", []string{"bin"}, "", "not UTF-8"},
		{"file", []string{"../x"}, "", "leaves the spec directory"},
	} {
		got, err := call(tt.fn, tt.args...)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s(%v) error = %v, want %q", tt.fn, tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s(%v) = %q, %v; want %q", tt.fn, tt.args, got, err, tt.want)
		}
	}
}
