package edit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/edit"
)

var update = os.Getenv("ACCORD_UPDATE_GOLDEN") == "1"

// TestKeep runs every case under testdata: an archive holding a spec, the
// drift to keep (in its "drift" file: channel, sku, field, observed,
// expected and at, one "key = value" a line) and what Keep should do: in
// "want", the file it edits, the line and what it wrote and the values it
// moves on other channels, or the error; in "want/NAME", the edited file
// whole. ACCORD_UPDATE_GOLDEN=1 rewrites the wants; read the diff.
func TestKeep(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	if len(paths) == 0 {
		t.Fatal("no cases under testdata")
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{}
			var d edit.Drift
			var at time.Time
			var kept []txtar.File
			for _, f := range ar.Files {
				switch {
				case f.Name == "drift":
					d, at = parseDrift(t, string(f.Data))
				case f.Name == "want" || strings.HasPrefix(f.Name, "want/"):
					continue
				default:
					fsys[f.Name] = &fstest.MapFile{Data: f.Data}
				}
				kept = append(kept, f)
			}
			opts := spec.Options{Dir: "spec", Types: builtin.Registry()}
			got := []txtar.File{{Name: "want"}}
			var a *edit.Adoption
			base, diags := spec.Load(fsys, opts)
			if diags.HasErrors() {
				err = fmt.Errorf("the spec does not load: %s", diags.Error())
			} else {
				a, err = edit.Keep(context.Background(), base, fsys, opts, d, at)
			}
			if err != nil {
				got[0].Data = []byte(describeError(err))
			} else {
				var b strings.Builder
				fmt.Fprintf(&b, "file: %s (%s) line %d\n", a.File.Name, a.File.Display, a.File.Line)
				fmt.Fprintf(&b, "wrote: %s\n", a.File.What)
				fmt.Fprintf(&b, "derives: %s %s %s\n", d.Channel, d.SKU, listingText(a))
				for _, m := range a.Also {
					fmt.Fprintf(&b, "also: %s\n", m)
				}
				got[0].Data = []byte(b.String())
				got = append(got, txtar.File{Name: "want/" + a.File.Name, Data: a.File.After})
				if before := fsys[a.File.Name].Data; string(a.File.Before) != string(before) {
					t.Errorf("File.Before is not the file as it was")
				}
			}
			var want []txtar.File
			for _, f := range ar.Files {
				if f.Name == "want" || strings.HasPrefix(f.Name, "want/") {
					want = append(want, f)
				}
			}
			if update {
				kept = append(kept, got...)
				ar.Files = kept
				if err := os.WriteFile(p, txtar.Format(ar), 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(render(want), render(got)); diff != "" {
				t.Errorf("Keep (-want +got):\n%s", diff)
			}
		})
	}
}

func render(fs []txtar.File) string {
	return string(txtar.Format(&txtar.Archive{Files: fs}))
}

func describeError(err error) string {
	kind := "error"
	var le *edit.LoadError
	switch {
	case errors.Is(err, edit.ErrUnsupported):
		kind = "unsupported"
	case errors.Is(err, edit.ErrNotKept):
		kind = "not kept"
	case errors.As(err, &le):
		kind = "load error"
	}
	return kind + ": " + err.Error() + "\n"
}

func listingText(a *edit.Adoption) string {
	l := a.Listing
	money := func(d decimal.NullDecimal) string {
		if !d.Valid {
			return "null"
		}
		return d.Decimal.String()
	}
	return fmt.Sprintf("price %s compare_at %s promotion %q", money(l.Price), money(l.CompareAt), l.Promotion)
}

func parseDrift(t *testing.T, text string) (edit.Drift, time.Time) {
	t.Helper()
	var d edit.Drift
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("drift: %q is not key = value", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		val := adapters.Value{Text: v, Set: v != "null"}
		if !val.Set {
			val.Text = ""
		}
		switch k {
		case "channel":
			d.Channel = v
		case "sku":
			d.SKU = v
		case "field":
			d.Field = v
		case "observed":
			d.Observed = val
		case "expected":
			d.Expected = val
		case "at":
			var err error
			if at, err = time.Parse(time.RFC3339, v); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("drift: unknown key %q", k)
		}
	}
	return d, at
}
