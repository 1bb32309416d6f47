package cli

import (
	"fmt"
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
		Short: "Print accord's version",
		Args:  argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			version := moduleVersion()
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						version += " (" + s.Value + ")"
					}
				}
			}
			_, err := fmt.Fprintf(a.env.Stdout, "accord %s\n", version)
			return err
		},
	}
}
