package apikit

import (
	"context"
	"fmt"
	"time"

	"github.com/gofrs/flock"
)

// LockFile takes an exclusive advisory lock on path (created with mode
// 0600 when missing) and returns what releases it: the lock that keeps two
// accord processes from spending a rotating refresh token at once. It
// waits for a lock another process holds until ctx ends; busy, when not
// nil, is called once when it starts to wait. Two locks of one path
// exclude each other within one process too.
func LockFile(ctx context.Context, path string, busy func()) (unlock func(), err error) {
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		if busy != nil {
			busy()
		}
		if ok, err = l.TryLockContext(ctx, 10*time.Millisecond); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !ok {
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		}
	}
	return func() { _ = l.Unlock() }, nil
}
