package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/controller/plan"
)

func (a *app) applyCommand() *cobra.Command {
	var at string
	var autoApprove, force bool
	var maxAttempts int
	var backoff, lockTimeout time.Duration
	var sel filter
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Push the plan's changes to the channels",
		Long: `apply makes the channels hold what the spec asks for. Without PLANFILE it plans
first, shows the plan and asks for "yes" (on a terminal; --auto-approve elsewhere).
With PLANFILE (from accord plan --out) it applies exactly that plan, and refuses it
when the spec has changed since or when a value one of its changes touches has
moved on the channel.

Changes go out in a safe order, in batches of each channel's size, paced to its
rate limit and retried with backoff; every batch is journaled before and after,
so an apply that was killed is completed by the next one without sending
anything twice. The spec's guard block stops large or drastic plans unless
--force is given. Exit status 1 if any change failed.`,
		Args: argsBetween(0, 1, "PLANFILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.loadSpec()
			if err != nil {
				return err
			}
			var o controller.Options
			if len(args) == 1 {
				if at != "" || len(sel.channels) > 0 || len(sel.skus) > 0 {
					return errors.New("a saved plan is applied as it is: --at, --channel and --sku belong to accord plan")
				}
				if o.Saved, err = readPlanFile(args[0]); err != nil {
					return err
				}
			} else if o, err = a.reconcileOptions(s, at, sel); err != nil {
				return err
			}
			c, done, err := a.openController(ctx, "accord apply", true)
			if err != nil {
				return err
			}
			defer done()
			o.Mode, o.Force, o.LockTimeout = controller.Apply, force, lockTimeout
			o.MaxAttempts, o.InitialBackoff = maxAttempts, backoff
			var bar *progress
			o.Progress = func(n int) { bar.add(n) }
			o.Waiting = func(ch string, d time.Duration, why string) { bar.waiting(ch, d, why) }
			o.Review = func(_ context.Context, r *controller.Result) (bool, error) {
				a.noteRecovered(r.Recovered)
				p := r.Plan
				out := bufio.NewWriter(a.env.Stdout)
				if err := writePlanText(out, s, p, a.colorOn(a.env.Stdout)); err != nil {
					return false, err
				}
				if err := out.Flush(); err != nil {
					return false, err
				}
				if p.Empty() || p.Errored() || (len(p.Blocked) > 0 && !force) {
					return true, nil // nothing to ask: the controller stops short of applying
				}
				if len(args) == 0 && !autoApprove {
					ok, err := a.confirm()
					if err != nil || !ok {
						return ok, err
					}
				}
				bar = a.progress(len(p.Changes))
				return true, nil
			}
			res, err := c.Reconcile(ctx, s, o)
			bar.finish()
			if interrupted(ctx) && res.Report != nil {
				rep := res.Report
				notSent, unknown := 0, 0
				for _, f := range rep.Failed {
					switch f.Kind {
					case apply.KindNotSent:
						notSent++
					case apply.KindUnknown:
						unknown++
					}
				}
				left := fmt.Sprintf("%d not sent", notSent)
				if unknown > 0 {
					left += fmt.Sprintf(", %d with an unknown outcome (observed first by the next apply)", unknown)
				}
				a.note("\nInterrupted: applied %d of %d; %s. Run accord apply again to finish.\n", rep.Applied+rep.Unneeded, rep.Total, left)
				return exitError{ExitInterrupted}
			}
			if errors.Is(err, controller.ErrCancelled) {
				if _, err := fmt.Fprintln(a.env.Stdout, "Apply cancelled."); err != nil {
					return err
				}
				return exitError{ExitError}
			}
			if rep := res.Report; rep != nil {
				pr := newPrinter(a.env.Stdout)
				pr.printf("\n%s%s.\n", strings.ToUpper(rep.Summary()[:1]), rep.Summary()[1:])
				for i, f := range rep.Failed {
					if i == 10 {
						pr.printf("  … and %d more (accord exceptions lists them as apply_failed)\n", len(rep.Failed)-10)
						break
					}
					pr.printf("  ! %s %s %s: %s: %s\n", f.Change.Channel, f.Change.SKU, f.Change.Name(), f.Kind, f.Reason)
				}
				err = errors.Join(err, pr.err)
			}
			if err != nil {
				return a.reconcileFailed(s, res, err)
			}
			if res.Report != nil && len(res.Report.Failed) > res.Report.Held() {
				return exitError{ExitError}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "plan for this time (RFC 3339, or local to the spec's time zone), for rehearsals against the sandbox; default now")
	f.BoolVar(&autoApprove, "auto-approve", false, "apply without asking")
	f.BoolVar(&force, "force", false, "apply a plan that breaks the spec's guards")
	f.IntVar(&maxAttempts, "max-attempts", 8, "send a failing change at most this many times")
	f.DurationVar(&backoff, "backoff", 500*time.Millisecond, "first wait before a retry; it doubles, with jitter, up to 30s (a longer Retry-After wins)")
	f.DurationVar(&lockTimeout, "lock-timeout", 0, "wait this long for another apply holding the state's lease (0: fail at once, naming it)")
	sel.flags(cmd)
	return cmd
}

// confirm asks for "yes" on a terminal.
func (a *app) confirm() (bool, error) {
	in, ok := a.env.Stdin.(*os.File)
	if !ok || !isTerminal(in) {
		return false, errors.New("apply asks for confirmation on a terminal; pass --auto-approve to apply without one")
	}
	if _, err := fmt.Fprint(a.env.Stdout, "\nApply these changes? Only 'yes' is accepted: "); err != nil {
		return false, err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	return strings.TrimSpace(line) == "yes", nil
}

// noteRecovered says on stderr what an interrupted apply left and this one
// settled first.
func (a *app) noteRecovered(r controller.Recovered) {
	if r.Batches > 0 {
		batches := fmt.Sprintf("%d batches", r.Batches)
		if r.Batches == 1 {
			batches = "1 batch"
		}
		what := "an interrupted apply"
		switch {
		case r.Unknown == r.Batches:
			what = "changes whose outcome an earlier apply did not learn"
		case r.Unknown > 0:
			what = "an interrupted apply, and changes whose outcome an earlier apply did not learn"
		}
		a.note("Settled %s: %s journaled, %d found on the channels and recorded, %d not found (planned again).\n",
			what, batches, r.Landed, r.Lost)
	}
	if r.Processing > 0 {
		a.note("%s queued by a channel in an interrupted apply %s still processing; the next apply asks again.\n",
			plural(r.Processing, "batch"), map[bool]string{true: "is", false: "are"}[r.Processing == 1])
	}
}

// readPlanFile reads a plan saved by accord plan --out.
func readPlanFile(path string) (*plan.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	p, err := plan.ReadJSON(f)
	if err = errors.Join(err, f.Close()); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// progress is a bar on a terminal, nothing elsewhere; a nil *progress does
// nothing.
type progress struct {
	mu        sync.Mutex
	bar       *progressbar.ProgressBar
	described bool
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.described {
		p.bar.Describe("applying")
		p.described = false
	}
	_ = p.bar.Add(n)
}

// waiting shows which channel holds the apply up, until the next change
// settles.
func (p *progress) waiting(channel string, d time.Duration, why string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Describe(fmt.Sprintf("applying (%s %s, waiting %s)", channel, why, d.Round(time.Second)))
	p.described = true
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	_ = p.bar.Finish()
}

// progress returns a bar of total changes on a terminal, nil elsewhere.
func (a *app) progress(total int) *progress {
	if !isTerminal(a.env.Stderr) || total < 1 {
		return nil
	}
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(a.env.Stderr),
		progressbar.OptionSetDescription("applying"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionEnableColorCodes(a.colorOn(a.env.Stderr)),
	)}
}
