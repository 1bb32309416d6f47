//go:build !unix

package controller

// processAlive cannot tell on this system: a lease is taken over only once
// it expires.
func processAlive(int) bool { return true }
