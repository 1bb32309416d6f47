package spec_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

var update = flag.Bool("update", os.Getenv("ACCORD_UPDATE_GOLDEN") == "1", "rewrite golden files under testdata")

// render writes diagnostics as `accord validate` shows them, without colour.
func render(t *testing.T, diags hcl.Diagnostics, sources map[string][]byte) string {
	t.Helper()
	files := map[string]*hcl.File{}
	for name, data := range sources {
		files[name] = &hcl.File{Bytes: data}
	}
	var buf bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&buf, files, 100, false).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// loadCase loads testdata/<group>/<name>, naming files "<name>/..." in
// diagnostics so that golden files do not depend on where tests run.
func loadCase(t *testing.T, dir string) (*spec.Spec, hcl.Diagnostics) {
	t.Helper()
	s, diags := spec.Load(os.DirFS(dir), spec.Options{
		Dir:   filepath.Base(dir),
		Types: builtin.Registry(),
		LookupEnv: func(string) (string, bool) {
			return "", false
		},
	})
	if s == nil && !diags.HasErrors() {
		t.Fatal("Load returned no spec and no error")
	}
	return s, diags
}

// TestInvalidSpecs loads every spec under testdata/invalid and compares its
// diagnostics, rendered with snippets, with want.txt beside it. Run with
// -update (or ACCORD_UPDATE_GOLDEN=1) to rewrite them after a deliberate
// change of wording, and read the diff.
func TestInvalidSpecs(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/invalid/*")
	if len(dirs) == 0 {
		t.Fatal("no cases under testdata/invalid")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			s, diags := loadCase(t, dir)
			if !diags.HasErrors() {
				t.Fatalf("loaded without errors; diagnostics: %v", diags)
			}
			var sources map[string][]byte
			if s != nil {
				sources = s.Sources
			} else {
				sources = readSources(t, dir)
			}
			got := render(t, diags, sources)
			golden := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("diagnostics differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// readSources reads a case's files for snippets when Load returned no spec
// (a syntax error stops it before decoding).
func readSources(t *testing.T, dir string) map[string][]byte {
	out := map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Join(filepath.Base(dir), e.Name())] = data
	}
	return out
}

// TestValidSpecs loads the valid fixtures and every bundled example: they
// must load with no error and no warning.
func TestValidSpecs(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/valid/*")
	// Every example directory that holds a spec (examples/ci holds a
	// workflow, not a spec).
	examples, _ := filepath.Glob("../examples/*/*.hcl")
	seen := map[string]bool{}
	for _, f := range examples {
		if d := filepath.Dir(f); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			s, diags := loadCase(t, dir)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", render(t, diags, s.Sources))
			}
		})
	}
}
