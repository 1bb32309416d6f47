package adaptertest

import (
	"sync"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/apikit"
)

// WhileLocked holds the lock at lockPath (apikit.LockFile), starts n
// reads at once, and releases the lock only once every read waits for it:
// setBusy(i, busy) gives read i the hook its adapter calls when it starts
// to wait. It fails the test when a read gets past the lock without
// waiting, and returns each read's error. It is how the adapters of
// rotating tokens (Shopee, Lazada) prove that two processes refreshing at
// once refresh once.
func WhileLocked(t *testing.T, lockPath string, n int, setBusy func(i int, busy func()), read func(i int) error) []error {
	t.Helper()
	unlock, err := apikit.LockFile(t.Context(), lockPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, n)
	for i := range n {
		setBusy(i, func() { waiting <- struct{}{} })
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = read(i) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for range n {
		select {
		case <-waiting:
		case <-done:
			unlock()
			t.Fatal("a read got past the lock without waiting for it")
		case <-time.After(30 * time.Second):
			unlock()
			t.Fatal("the reads did not wait for the lock")
		}
	}
	unlock()
	<-done
	return errs
}
