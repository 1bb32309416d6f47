//go:build unix

package store

import (
	"errors"
	"syscall"
)

// ProcessAlive reports whether a process of this host is running: signal 0
// checks without sending anything. A process of another user (EPERM) is
// alive.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
