package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
)

func (a *app) fmtCommand() *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "fmt",
		Short: "Rewrite the spec's .hcl files in canonical format",
		Long: `fmt rewrites every .hcl file of the spec directory in HCL's canonical layout
(aligned equals signs, two-space indents). With --check it changes nothing,
lists the files that are not formatted and exits 1 if there are any: the form
for CI.`,
		Args: argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			entries, err := os.ReadDir(a.dir)
			if err != nil {
				return fmt.Errorf("read spec directory: %w", err)
			}
			var names []string
			for _, e := range entries {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
			var diags hcl.Diagnostics
			sources := map[string][]byte{}
			var unformatted []string
			for _, name := range names {
				path := filepath.Join(a.dir, name)
				src, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("read %s: %w", path, err)
				}
				sources[path] = src
				// Refuse to reformat a file that does not parse: the
				// result could move a mistake somewhere harder to see.
				if _, d := hclsyntax.ParseConfig(src, path, hcl.InitialPos); d.HasErrors() {
					diags = append(diags, d...)
					continue
				}
				out := hclwrite.Format(src)
				if bytes.Equal(out, src) {
					continue
				}
				unformatted = append(unformatted, path)
				if check {
					continue
				}
				info, err := os.Stat(path)
				if err != nil {
					return err
				}
				if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
					return fmt.Errorf("write %s: %w", path, err)
				}
			}
			a.printDiags(diags, sources)
			pr := newPrinter(a.env.Stdout)
			for _, p := range unformatted {
				pr.println(p)
			}
			if pr.err != nil {
				return pr.err
			}
			if diags.HasErrors() || (check && len(unformatted) > 0) {
				return exitError{ExitError}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; list unformatted files and exit 1 if there are any")
	return cmd
}
