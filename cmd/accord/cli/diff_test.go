package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/review"
)

// gitRepo is a real git repository in a temporary directory, made with
// go-git.
type gitRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	when time.Time
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	return &gitRepo{t: t, dir: dir, repo: r, when: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}

// commit writes the files and commits them.
func (g *gitRepo) commit(msg string, files map[string]string) {
	g.t.Helper()
	wt, err := g.repo.Worktree()
	if err != nil {
		g.t.Fatal(err)
	}
	for name, data := range files {
		path := filepath.Join(g.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			g.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			g.t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			g.t.Fatal(err)
		}
	}
	g.when = g.when.Add(time.Hour)
	if _, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "Ana Ops", Email: "ana@example.com", When: g.when}}); err != nil {
		g.t.Fatal(err)
	}
}

const diffSpec = `
settings {
  timezone = "UTC"
}
channel "web" {
  type = "sandbox"
}
channel "market" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["web", "market"]
}
price_matrix "default" {
  rounding = "none"
  channel "market" {
    adjust = "MARKUP"
  }
}
promotion "december" {
  starts   = "2026-12-01T00:00:00"
  ends     = "2026-12-08T00:00:00"
  skus     = ["B"]
  discount = "10%"
  partner  = "acme-mfg"
}
`

func diffJSON(t *testing.T, dir string, args ...string) (map[string]any, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"diff", "--dir", dir, "--format", "json", "--at", "2026-11-30T12:00:00Z"}, args...), benchEnv(&out, &errOut))
	if code != ExitOK && code != ExitChanges && code != ExitReview {
		t.Fatalf("diff exited %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("diff's JSON: %v\n%s", err, out.String())
	}
	return m, code
}

// changesOf lists a step's changes as "channel sku field from -> to".
func changesOf(step any) []string {
	var out []string
	for _, c := range step.(map[string]any)["changes"].([]any) {
		m := c.(map[string]any)
		str := func(k string) string {
			if v, ok := m[k].(string); ok {
				return v
			}
			return "null"
		}
		out = append(out, str("channel")+" "+str("sku")+" "+str("field")+" "+str("from")+" -> "+str("to"))
	}
	return out
}

// A price-matrix change and a catalog edit in one commit: diff --base
// HEAD~1 names exactly the listings whose desired state moves, by how much,
// now and from the promotion that starts inside the window.
func TestDiffBetweenCommits(t *testing.T) {
	g := newGitRepo(t)
	g.commit("The spec", map[string]string{
		"spec/accord.hcl":   strings.Replace(diffSpec, "MARKUP", "+10%", 1),
		"spec/products.csv": "sku,price\nA,20.00\nB,10.00\nC,5.00\n",
		"spec/stock.csv":    "sku,on_hand\nA,3\nB,4\nC,5\n",
	})
	g.commit("Market at +5%; A to 22", map[string]string{
		"spec/accord.hcl":   strings.Replace(diffSpec, "MARKUP", "+5%", 1),
		"spec/products.csv": "sku,price\nA,22.00\nB,10.00\nC,5.00\n",
	})
	dir := filepath.Join(g.dir, "spec")
	m, code := diffJSON(t, dir, "--base", "HEAD~1", "--head", "HEAD", "--detailed-exitcode")
	if code != ExitChanges {
		t.Errorf("exit %d, want 2: the change does something", code)
	}
	steps := m["steps"].([]any)
	if len(steps) != 2 {
		t.Fatalf("%d steps, want now and the promotion's start: %v", len(steps), m)
	}
	now := strings.Join(changesOf(steps[0]), "\n")
	want := strings.Join([]string{
		"market A price 22.00 -> 23.10",
		"market B price 11.00 -> 10.50",
		"market C price 5.50 -> 5.25",
		"web A price 20.00 -> 22.00",
	}, "\n")
	if now != want {
		t.Errorf("now:\n%s\nwant:\n%s", now, want)
	}
	// From December 1 B's promotion runs on both sides: on the market its
	// price is 10% off 11.00 against 10% off 10.50, with those as its
	// compare-at price, a change that is new then; web's B is the same on
	// both sides.
	dec := strings.Join(changesOf(steps[1]), "\n")
	if dec != "market B compare_at 11.00 -> 10.50\nmarket B price 9.90 -> 9.45" {
		t.Errorf("from 2026-12-01:\n%s", dec)
	}
	if at := steps[1].(map[string]any)["at"]; at != "2026-12-01T00:00:00Z" {
		t.Errorf("the second step is at %v", at)
	}
	partners := m["partners"].([]any)
	if len(partners) != 1 || partners[0].(map[string]any)["partner"] != "acme-mfg" {
		t.Errorf("partners %v, want acme-mfg, whose promotion's price moves", partners)
	}
	if m["base"].(map[string]any)["subject"] != "The spec" || m["head"].(map[string]any)["subject"] != "Market at +5%; A to 22" {
		t.Errorf("revisions %v %v", m["base"], m["head"])
	}

	// The pull-request comment, as docs/pull-request-comment.md shows it
	// (the commits are made at fixed times, so their hashes are stable).
	var md, mdErr bytes.Buffer
	if code := Run(context.Background(), []string{"diff", "--dir", dir, "--base", "HEAD~1", "--head", "HEAD", "--at", "2026-11-30T12:00:00Z", "--format", "markdown"}, benchEnv(&md, &mdErr)); code != ExitOK {
		t.Fatalf("diff --format markdown: exit %d\n%s", code, mdErr.String())
	}
	golden := filepath.Join("..", "..", "..", "docs", "pull-request-comment.md")
	if os.Getenv("ACCORD_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, md.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil || string(want) != md.String() {
		t.Errorf("diff --format markdown differs from %s (ACCORD_UPDATE_GOLDEN=1 rewrites it; %v):\n%s", golden, err, md.String())
	}

	// No change: said so, exit 0 even with --detailed-exitcode.
	var out, errOut bytes.Buffer
	code = Run(context.Background(), []string{"diff", "--dir", dir, "--base", "HEAD", "--at", "2026-11-30T12:00:00Z", "--detailed-exitcode"}, benchEnv(&out, &errOut))
	if code != ExitOK || !strings.Contains(out.String(), "No change: every listing's desired state is the same on both sides.") {
		t.Errorf("diff of HEAD with the working tree: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}

	// --fail-on partner: the change moves acme-mfg's prices.
	if _, code := diffJSON(t, dir, "--base", "HEAD~1", "--head", "HEAD", "--fail-on", "partner"); code != ExitReview {
		t.Errorf("--fail-on partner exited %d, want 3", code)
	}
	if _, code := diffJSON(t, dir, "--base", "HEAD~1", "--head", "HEAD", "--fail-on", "new-error"); code != ExitOK {
		t.Errorf("--fail-on new-error exited %d, want 0: no error is introduced", code)
	}
}

// A change to 120k listings still makes a comment under the budget, and
// says how much it left out.
func TestDiffMarkdownStaysShort(t *testing.T) {
	s, _ := explainFixture(t)
	rep := &review.Report{At: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), Window: 30 * 24 * time.Hour,
		Base: review.Revision{Label: "main"}, Head: review.Revision{Label: "working tree"}}
	var changes []plan.Change
	for i := range 120_000 {
		changes = append(changes, plan.Change{Channel: fmt.Sprintf("channel_%d", i%6), SKU: fmt.Sprintf("SKU-%06d", i), Kind: adapters.KindPrice,
			From: adapters.Value{Text: "43.99", Set: true}, To: adapters.Value{Text: "39.99", Set: true}, Reason: plan.ReasonSpec})
	}
	rep.Steps = []review.Step{{At: rep.At, Changes: changes, Channels: []review.ChannelDelta{{Channel: "channel_0", Listings: 100_000, PriceDown: 100_000}}}}
	var b strings.Builder
	if err := writeReviewMarkdown(&b, s, rep, markdownBudget); err != nil {
		t.Fatal(err)
	}
	if n := b.Len(); n > markdownBudget {
		t.Errorf("the comment is %d characters, over %d", n, markdownBudget)
	}
	if !strings.Contains(b.String(), "more.") || !strings.Contains(b.String(), "lines left out to keep this comment short") {
		t.Error("the comment does not say what it left out")
	}
}
