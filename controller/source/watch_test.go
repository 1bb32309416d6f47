package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// signalled waits for a signal, failing the test after a generous timeout.
func signalled(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the channel closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no signal", what)
	}
}

// quiet fails the test if a signal comes within d: only for asserting that
// something did not happen, as no wait can prove that.
func quiet(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("%s: a signal", what)
	case <-time.After(d):
	}
}

func watch(t *testing.T, dir string, debounce time.Duration) <-chan struct{} {
	t.Helper()
	ch, err := WatchDir(t.Context(), dir, debounce)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// An editor's save is many events and one signal. The save is vim's:
// probe the directory with 4913, write the swap file, move the file to a
// backup, write the new one, set its mode, remove the backup.
func TestWatchDirEditorSave(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "accord.hcl")
	writeFile(t, spec, "one\n")
	// A debounce long beside the few microseconds a save takes, so that
	// even a loaded machine saves within it.
	const debounce = 200 * time.Millisecond
	ch := watch(t, dir, debounce)

	writeFile(t, filepath.Join(dir, "4913"), "")
	if err := os.Remove(filepath.Join(dir, "4913")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, ".accord.hcl.swp"), "swap")
	if err := os.Rename(spec, spec+"~"); err != nil {
		t.Fatal(err)
	}
	lastChange := time.Now() // before the save's last event that counts
	writeFile(t, spec, "two\n")
	if err := os.Chmod(spec, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(spec + "~"); err != nil {
		t.Fatal(err)
	}
	signalled(t, ch, "a save")
	// The signal waits for quiet after the burst (a timer cannot fire
	// early, so this holds however slow the machine).
	if waited := time.Since(lastChange); waited < debounce {
		t.Errorf("signalled %v after the save's last change, before %v of quiet", waited, debounce)
	}
	quiet(t, ch, 3*debounce, "after the save's signal")

	// The next change is a signal again.
	writeFile(t, filepath.Join(dir, "products.csv"), "sku\n")
	signalled(t, ch, "a new file")
}

// Changes under .accord and .git, editor files and a change of mode alone
// are no signal; the directories are not even watched.
func TestWatchDirIgnores(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".accord", "state.db"), "state")
	writeFile(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(dir, "data", "a.csv"), "a\n")
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := w.fs.WatchList()
	slices.Sort(got)
	if want := []string{w.root, filepath.Join(w.root, "data")}; !slices.Equal(got, want) {
		t.Errorf("watched %v, want %v", got, want)
	}
	if err := w.fs.Close(); err != nil {
		t.Fatal(err)
	}

	const debounce = 50 * time.Millisecond
	ch := watch(t, dir, debounce)
	writeFile(t, filepath.Join(dir, ".accord", "state.db"), "state 2")
	writeFile(t, filepath.Join(dir, ".accord", "new", "journal"), "j")
	writeFile(t, filepath.Join(dir, "data", ".#a.csv"), "lock")
	writeFile(t, filepath.Join(dir, "data", "a.csv~"), "backup")
	writeFile(t, filepath.Join(dir, ".a.csv.swx"), "swap")
	if err := os.Chmod(filepath.Join(dir, "data", "a.csv"), 0o640); err != nil {
		t.Fatal(err)
	}
	quiet(t, ch, 6*debounce, "ignored changes")
	writeFile(t, filepath.Join(dir, "data", "a.csv"), "a2\n")
	signalled(t, ch, "a change of a.csv")
}

func TestIgnoredPath(t *testing.T) {
	for rel, want := range map[string]bool{
		"accord.hcl":             false,
		"data/products.csv":      false,
		"data/4913x":             false,
		"swp":                    false,
		".accord":                true,
		".accord/state.db":       true,
		"shop/.accord/state.db":  true,
		".git/index":             true,
		"4913":                   true,
		"data/4913":              true,
		".accord.hcl.swp":        true,
		"data/.products.csv.swx": true,
		"accord.hcl~":            true,
		".#accord.hcl":           true,
	} {
		if got := ignoredPath(rel); got != want {
			t.Errorf("ignoredPath(%q) = %v, want %v", rel, got, want)
		}
	}
}

// Directories made after the watch starts are watched, however deep, and
// so are the ones made inside them.
func TestWatchDirNewDirectories(t *testing.T) {
	dir := t.TempDir()
	ch := watch(t, dir, 50*time.Millisecond)
	if err := os.MkdirAll(filepath.Join(dir, "shops", "eu"), 0o750); err != nil {
		t.Fatal(err)
	}
	signalled(t, ch, "new directories")
	writeFile(t, filepath.Join(dir, "shops", "eu", "accord.hcl"), "eu\n")
	signalled(t, ch, "a file in a new directory")
	writeFile(t, filepath.Join(dir, "shops", "eu", "deeper", "x.csv"), "x\n")
	signalled(t, ch, "a directory in a new directory")
	writeFile(t, filepath.Join(dir, "shops", "eu", "deeper", "x.csv"), "y\n")
	signalled(t, ch, "a file in that one")
}

// The channel closes when the context ends; a directory that is not there
// cannot be watched.
func TestWatchDirEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := WatchDir(ctx, t.TempDir(), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("a signal instead of the close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the channel stayed open")
	}
	if _, err := WatchDir(t.Context(), filepath.Join(t.TempDir(), "nowhere"), time.Millisecond); err == nil {
		t.Error("a missing directory is watched")
	}
}
