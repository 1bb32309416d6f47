// Package tools pins the versions of the developer tools accord's Makefile
// and CI run (golangci-lint), in a module of its own so that their
// dependencies never reach accord's go.mod. `make lint` builds from here.
package tools
