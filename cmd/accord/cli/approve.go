package cli

import (
	"fmt"
	"os/user"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) approveCommand() *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "approve REVISION",
		Short: "Approve a spec revision for accord run --apply drift-only to apply",
		Long: `approve lets a daemon running with --apply drift-only apply a spec revision: until
then it heals drift and stock moves under the revision in force and holds the new
revision's changes as a pending plan (GET /api/plan shows it, and
accord plan names its revision: "accord plan for spec revision sha256:...").
The approval is recorded in the state; the daemon applies at its next reconcile.`,
		Args: argsExactly("REVISION"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			rev := args[0]
			if !strings.HasPrefix(rev, "sha256:") {
				return fmt.Errorf("revision %q: write it as accord plan names it (sha256: and 64 hex digits)", rev)
			}
			st, err := a.existingState(cmd.Context())
			if err != nil {
				return err
			}
			if st == nil {
				return fmt.Errorf("no state yet at %s: nothing to approve for", a.statePath())
			}
			defer closeWith(&err, st)
			if by == "" {
				by = "accord approve"
				if u, err := user.Current(); err == nil {
					by = u.Username
				}
			}
			if err := st.Approve(cmd.Context(), rev, by); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Approved %s: accord run applies it at its next reconcile.\n", rev)
			return err
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who approves (default: the user name)")
	return cmd
}
