package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// workflow is as much of a GitHub Actions workflow as the test reads.
type workflow struct {
	Name string            `yaml:"name"`
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		If     string            `yaml:"if"`
		RunsOn any               `yaml:"runs-on"`
		Env    map[string]string `yaml:"env"`
		Steps  []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestCIRecipe parses examples/ci/accord.yml and runs its steps' commands
// against a temporary git repository holding the quickstart as spec/: the
// pull-request job (validate, diff, the comment posted through a fake gh)
// on a branch that raises a price, then the merge job (plan, apply of that
// plan) on the sandbox.
func TestCIRecipe(t *testing.T) {
	data, err := os.ReadFile("../../../examples/ci/accord.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("the workflow does not parse: %v", err)
	}
	if wf.On["pull_request"] == nil || wf.On["push"] == nil || len(wf.Jobs) != 2 {
		t.Fatalf("the workflow runs on %v with %d jobs; want pull requests and pushes, a review and an apply job", wf.On, len(wf.Jobs))
	}

	// The merchant's repository: the quickstart on main, a branch that
	// raises the marketplace's markup.
	g := newGitRepo(t)
	files := map[string]string{}
	for _, name := range []string{"accord.hcl", "inventory.hcl", "listing.hcl", "pricing.hcl", "promotions.hcl", "products.csv", "stock.csv", "regional-export.csv"} {
		b, err := os.ReadFile(filepath.Join("../../../examples/quickstart", name))
		if err != nil {
			t.Fatal(err)
		}
		files["spec/"+name] = string(b)
	}
	g.commit("The quickstart", files)
	head, err := g.repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	// What actions/checkout with fetch-depth 0 leaves: the base branch as
	// a remote-tracking branch.
	if err := g.repo.Storer.SetReference(plumbing.NewHashReference("refs/remotes/origin/main", head.Hash())); err != nil {
		t.Fatal(err)
	}
	g.commit("Regional at +3.00", map[string]string{"spec/pricing.hcl": strings.Replace(files["spec/pricing.hcl"], `adjust = "+2.00"`, `adjust = "+3.00"`, 1)})

	gh := &fakeGH{}
	state := filepath.Join(t.TempDir(), "state.db")
	expr := map[string]string{
		"github.base_ref":                     "main",
		"github.token":                        "token-not-used",
		"github.repository":                   "acme/spec",
		"github.event.pull_request.number":    "7",
		"vars.ACCORD_STATE":                   state,
		"secrets.SHOPIFY_TOKEN":               "",
		"secrets.AMAZON_REFRESH_TOKEN":        "",
		"steps.diff.outputs.status == '3'":    "false",
		"github.event_name == 'pull_request'": "true",
	}
	for _, job := range []string{"review", "apply"} {
		j, ok := wf.Jobs[job]
		if !ok {
			t.Fatalf("no %s job", job)
		}
		for _, st := range j.Steps {
			if st.Run == "" || st.If == "steps.diff.outputs.status == '3'" {
				continue
			}
			env := map[string]string{"GITHUB_OUTPUT": filepath.Join(g.dir, ".github-output"), "HOME": t.TempDir(), "PATH": os.Getenv("PATH")}
			for _, m := range []map[string]string{wf.Env, j.Env, st.Env} {
				for k, v := range m {
					env[k] = substitute(t, v, expr)
				}
			}
			script := substitute(t, st.Run, expr)
			if err := runStep(t, g.dir, script, env, gh); err != nil {
				t.Fatalf("%s: %s: %v", job, st.Name, err)
			}
		}
	}

	// The comment: posted once, with the marker and what the change does.
	if len(gh.posted) != 1 {
		t.Fatalf("%d comments posted, want 1", len(gh.posted))
	}
	body := gh.posted[0]
	for _, want := range []string{"<!-- accord diff -->", "### accord diff", "| now | regional | 19 | 19 up (max +10.0%) |", "regional HP-01 price 41.99 → 42.99"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	// The merge job applied the plan it saved: the state knows it.
	if _, err := os.Stat(state); err != nil {
		t.Errorf("the apply job left no state: %v", err)
	}
	if code, out, errOut := runCLI("plan", "--dir", filepath.Join(g.dir, "spec"), "--state", state, "--detailed-exitcode"); code != ExitOK {
		t.Errorf("after the apply job the plan is not empty (exit %d):\n%s\n%s", code, out, errOut)
	}
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// substitute replaces GitHub's ${{ expressions }} with the test's values.
func substitute(t *testing.T, s string, values map[string]string) string {
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		key := exprRe.FindStringSubmatch(m)[1]
		v, ok := values[key]
		if !ok {
			t.Fatalf("the workflow uses ${{ %s }}, which the test gives no value", key)
		}
		return v
	})
}

// runStep runs a step's script as the runner's bash would: accord
// in-process, the go tool skipped (accord is already here), gh faked, cat
// read from the step's directory.
func runStep(t *testing.T, dir, script string, env map[string]string, gh *fakeGH) error {
	t.Helper()
	file, err := syntax.NewParser().Parse(strings.NewReader(script), "step")
	if err != nil {
		return err
	}
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	var out strings.Builder
	runner, err := interp.New(interp.Dir(dir), interp.Env(expand.ListEnviron(pairs...)), interp.StdIO(nil, &out, &out),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
			return func(ctx context.Context, args []string) error {
				hc := interp.HandlerCtx(ctx)
				switch args[0] {
				case "accord":
					code, err := runIn(ctx, hc.Dir, args[1:], hc.Stdout, hc.Stderr)
					if err != nil {
						return err
					}
					if code != 0 {
						return interp.ExitStatus(uint8(code)) //nolint:gosec // G115: an exit code is 0 to 255
					}
					return nil
				case "go":
					return nil
				case "gh":
					return gh.run(hc.Dir, args[1:], hc.Stdout)
				case "cat":
					for _, name := range args[1:] {
						b, err := os.ReadFile(filepath.Join(hc.Dir, name))
						if err != nil {
							return err
						}
						if _, err := hc.Stdout.Write(b); err != nil {
							return err
						}
					}
					return nil
				}
				return fmt.Errorf("the step runs %q, which the test does not know", args[0])
			}
		}))
	if err != nil {
		return err
	}
	if err := runner.Run(context.Background(), file); err != nil {
		return fmt.Errorf("%w\n%s", err, out.String())
	}
	return nil
}

// fakeGH answers the gh api calls of the recipe: no comment to update yet,
// and a POST records the body.
type fakeGH struct {
	posted []string
}

func (g *fakeGH) run(dir string, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "api" {
		return fmt.Errorf("gh %v: the recipe uses gh api alone", args)
	}
	method := "GET"
	var body string
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "--method":
			method = args[i+1]
			i++
		case "-F":
			if f, ok := strings.CutPrefix(args[i+1], "body=@"); ok {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					return err
				}
				body = string(b)
			}
			i++
		}
	}
	switch method {
	case "GET":
		_, err := io.WriteString(stdout, "\n") // no comment with the marker yet
		return err
	case "POST":
		g.posted = append(g.posted, body)
		return nil
	}
	return fmt.Errorf("gh api --method %s: no comment to update in this test", method)
}
