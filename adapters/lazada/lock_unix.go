//go:build unix && !solaris && !aix

package lazada

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// fileLocks says whether lockFile keeps other processes out.
const fileLocks = true

// lockFile takes an exclusive advisory lock (flock) on path, created with
// mode 0600 when missing, and returns what releases it. It waits for a
// lock another process holds until ctx ends; busy, when not nil, is
// called once when it starts to wait. Locks of two descriptors exclude
// each other in one process too.
func lockFile(ctx context.Context, path string, busy func()) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	wait := time.Millisecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, err
		}
		if busy != nil {
			busy()
			busy = nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
