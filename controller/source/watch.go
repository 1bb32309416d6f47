package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchDir watches the spec directory dir and every directory under it,
// new ones too, and sends on the channel it returns once a burst of changes
// has been followed by debounce of quiet: an editor's save (a temporary
// file, a rename, a chmod) is one signal, and a signal not yet received
// stands for every change after it. It ignores the .accord and .git
// directories and editors' swap and backup files (*.swp, *.swx, *~, .#*,
// vim's 4913), and changes of mode alone. The channel is closed when ctx
// ends.
//
// A signal says only that something changed: the receiver reads the
// directory again, whole.
func WatchDir(ctx context.Context, dir string, debounce time.Duration) (<-chan struct{}, error) {
	w, err := newWatcher(dir)
	if err != nil {
		return nil, err
	}
	out := make(chan struct{}, 1)
	go w.run(ctx, debounce, out)
	return out, nil
}

type watcher struct {
	fs   *fsnotify.Watcher
	root string
}

func newWatcher(dir string) (*watcher, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &watcher{fs: fw, root: root}
	if err := w.addTree(root); err != nil {
		_ = fw.Close()
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	return w, nil
}

// addTree watches dir and every directory under it that is not ignored.
// A directory that is gone by the time it is reached is skipped: it was
// removed while being walked.
func (w *watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != w.root && ignoredDir(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.fs.Add(p); err != nil && (p == dir || !errors.Is(err, fs.ErrNotExist)) {
			return err
		}
		return nil
	})
}

func (w *watcher) run(ctx context.Context, debounce time.Duration, out chan<- struct{}) {
	defer close(out)
	defer w.fs.Close() //nolint:errcheck // closing a watcher loses nothing
	timer := time.NewTimer(debounce)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if !w.relevant(ev) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				// A new directory is watched, with what it already holds;
				// the signal makes the receiver read that.
				_ = w.addTree(ev.Name) // a file, or gone already: nothing to add
			}
			timer.Reset(debounce)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost, new directories among them perhaps:
				// watch the tree again, and have it read again.
				_ = w.addTree(w.root)
			}
			timer.Reset(debounce)
		case <-timer.C:
			select {
			case out <- struct{}{}:
			default: // a signal is waiting already: it covers this one
			}
		}
	}
}

// relevant reports whether an event is a change of the spec.
func (w *watcher) relevant(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod || ev.Op == 0 {
		return false
	}
	rel, err := filepath.Rel(w.root, ev.Name)
	if err != nil {
		return true
	}
	return !ignoredPath(filepath.ToSlash(rel))
}

// ignoredPath reports whether a path relative to the watched directory is
// one no spec change is made of.
func ignoredPath(rel string) bool {
	parts := strings.Split(rel, "/")
	for _, dir := range parts[:len(parts)-1] {
		if ignoredDir(dir) {
			return true
		}
	}
	name := parts[len(parts)-1]
	return ignoredDir(name) || editorFile(name)
}

// ignoredDir: accord's own state and git's.
func ignoredDir(name string) bool {
	return name == ".accord" || name == ".git"
}

// editorFile reports whether name is an editor's swap, backup or lock file,
// or vim's probe of whether it may write to a directory ("4913").
func editorFile(name string) bool {
	return strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") ||
		strings.HasSuffix(name, "~") || strings.HasPrefix(name, ".#") || name == "4913"
}
