package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// moduleVersion is accord's module version from the build, "(devel)" for a
// build from a working tree.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print accord's version, the commit it was built from and the Go that built it",
		Args:  argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(a.env.Stdout, versionLine())
			return err
		},
	}
}

// versionLine is "accord v1.2.3 (commit 0123abc, modified) go1.26.8
// linux/amd64": the module version ("(devel)" for a build from a working
// tree), the VCS revision when the build recorded one, and the toolchain.
func versionLine() string {
	line := "accord " + moduleVersion()
	goVersion := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if rev != "" {
			line += fmt.Sprintf(" (commit %.12s%s)", rev, modified)
		}
	}
	return fmt.Sprintf("%s %s %s/%s", line, goVersion, runtime.GOOS, runtime.GOARCH)
}
