package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accordhq/accord/spec"
)

// holidayCampaign is a partner's campaign as it publishes it; WINDOW and
// CAP are replaced per version.
const holidayCampaign = `campaign {
  theme        = "Holiday 2026"
  partner      = "acme-mfg"
  STARTS_ENDS
  channels     = ["sandbox"]
  min_discount = "5%"
  max_discount = "CAP"
  funding      = "50%"
  eligible {
    brands = ["Acme"]
  }
}
`

func campaignVersion(startsEnds, maxDiscount string) string {
	return strings.NewReplacer("STARTS_ENDS", startsEnds, "CAP", maxDiscount).Replace(holidayCampaign)
}

const springCampaign = `campaign {
  partner = "acme-mfg"
  starts  = "2027-03-01T00:00:00Z"
  ends    = "2027-03-15T00:00:00Z"
}
`

// campaignSpec is a seller's spec importing the holiday campaign; SOURCE
// and PROMO are replaced per case.
const campaignSpec = `settings {
  timezone = "UTC"
}
channel "web" {
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
  channels = ["web"]
}
price_matrix "default" {
  rounding = "none"
}
campaign "holiday" {
  source = "SOURCE"
}
campaign "spring" {
  source = "SPRING"
}
promotion "holiday-acme" {
  campaign = campaign.holiday
PROMO}
`

type campaignFixture struct {
	t       *testing.T
	partner *gitRepo
	seller  *gitRepo
	dir     string // the seller's spec directory
	source  string
}

// newCampaignFixture makes a partner repository with the holiday campaign
// at tag v1 on main, and a seller's spec (in a repository of its own) that
// imports it by ref.
func newCampaignFixture(t *testing.T, ref string) *campaignFixture {
	f := &campaignFixture{t: t, partner: newGitRepo(t), seller: newGitRepo(t)}
	f.partner.commit("Holiday 2026", map[string]string{
		"holiday-2026/campaign.hcl": campaignVersion("starts       = \"2026-12-01T00:00:00Z\"\n  ends         = \"2026-12-26T00:00:00Z\"", "25%"),
		"spring-2027/campaign.hcl":  springCampaign,
	})
	f.partner.tag("v1")
	f.source = "git::" + f.partner.dir + "//holiday-2026?ref=" + ref
	f.dir = filepath.Join(f.seller.dir, "shop")
	f.writeSpec("  discount = \"20%\"\n")
	return f
}

func (f *campaignFixture) writeSpec(promo string) {
	f.t.Helper()
	text := strings.NewReplacer("SOURCE", f.source, "SPRING", "git::"+f.partner.dir+"//spring-2027?ref=v1", "PROMO", promo).Replace(campaignSpec)
	f.seller.commit("The spec", map[string]string{
		"shop/accord.hcl":   text,
		"shop/products.csv": "sku,price,brand\nA,20.00,Acme\nB,10.00,Acme\nC,5.00,Other\n",
		"shop/stock.csv":    "sku,on_hand\nA,3\nB,4\nC,5\n",
		"shop/.gitignore":   ".accord/\n",
	})
}

// run runs accord in the seller's directory.
func (f *campaignFixture) run(args ...string) (int, string, string) {
	return runCLI(append(args, "--dir", f.dir)...)
}

func (f *campaignFixture) mustRun(args ...string) string {
	f.t.Helper()
	code, out, errOut := f.run(args...)
	if code != ExitOK {
		f.t.Fatalf("accord %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out + errOut
}

// diags runs validate --format json and returns its error diagnostics.
func (f *campaignFixture) diags() []jsonDiag {
	f.t.Helper()
	_, out, errOut := f.run("validate", "--format", "json", "--at", "2026-11-30T12:00:00Z")
	var res struct {
		Diagnostics []jsonDiag `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		f.t.Fatalf("validate's JSON: %v\n%s\n%s", err, out, errOut)
	}
	var errs []jsonDiag
	for _, d := range res.Diagnostics {
		if d.Severity == "error" {
			errs = append(errs, d)
		}
	}
	return errs
}

func (f *campaignFixture) locks() map[string]spec.Lock {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, spec.LockFile))
	if err != nil {
		f.t.Fatal(err)
	}
	locks, diags := spec.ParseLocks(data, spec.LockFile)
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	return locks
}

// A campaign imported from a partner's repository by tag: nothing loads
// before it is fetched; after campaigns get the lock holds the tag's commit
// and every command works with the partner's repository gone.
func TestCampaignGetAndOffline(t *testing.T) {
	f := newCampaignFixture(t, "v1")
	ds := f.diags()
	if len(ds) != 2 || ds[0].Summary != "Campaign not fetched" || ds[0].Range == nil || ds[0].Range.Line != 22 {
		t.Fatalf("before get: %+v", ds)
	}
	out := f.mustRun("campaigns", "get")
	v1 := f.partner.head()
	if !regexp.MustCompile(`holiday +`+v1[:12]+` +fetched`).MatchString(out) || !strings.Contains(out, "partner acme-mfg, theme Holiday 2026") || !strings.Contains(out, "Wrote accord.lock.hcl") {
		t.Errorf("campaigns get:\n%s", out)
	}
	if l := f.locks()["holiday"]; l.Commit != v1 || l.Source != f.source {
		t.Errorf("lock %+v, want commit %s", l, v1)
	}
	f.seller.commit("Lock the campaigns", map[string]string{"shop/" + spec.LockFile: string(mustRead(t, filepath.Join(f.dir, spec.LockFile)))})
	// A second get changes nothing and writes nothing.
	if out := f.mustRun("campaigns", "get"); !strings.Contains(out, "locked") || strings.Contains(out, "Wrote") {
		t.Errorf("second get:\n%s", out)
	}

	// The network off: the partner's repository is gone.
	if err := os.Rename(f.partner.dir, f.partner.dir+".gone"); err != nil {
		t.Fatal(err)
	}
	f.mustRun("campaigns", "get")
	if out := f.mustRun("validate", "--at", "2026-11-30T12:00:00Z"); !strings.Contains(out, "The spec is valid") {
		t.Errorf("validate:\n%s", out)
	}
	// The promotion takes the campaign's window and covers the eligible
	// products alone: A and B (Acme), not C.
	out = f.mustRun("desired", "--at", "2026-12-02T00:00:00Z", "--format", "json")
	var desired struct {
		Listings []map[string]any `json:"listings"`
	}
	if err := json.Unmarshal([]byte(out), &desired); err != nil {
		t.Fatalf("desired's JSON: %v\n%s", err, out)
	}
	prices := map[string]any{}
	for _, l := range desired.Listings {
		prices[l["sku"].(string)] = l["price"]
	}
	if prices["A"] != "16.00" || prices["B"] != "8.00" || prices["C"] != "5.00" {
		t.Errorf("prices on December 2: %v", prices)
	}
	if out := f.mustRun("desired", "--at", "2026-11-30T12:00:00Z", "--format", "json"); strings.Contains(out, "16.00") {
		t.Errorf("the promotion runs before the campaign's window:\n%s", out)
	}
	cal := f.mustRun("calendar", "--at", "2026-11-30T12:00:00Z")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`holiday-acme +2026-12-01 00:00 UTC +2026-12-26 00:00 UTC +web +acme-mfg +2 +-20% `),
		regexp.MustCompile(`holiday +acme-mfg +Holiday 2026 +2026-12-01 00:00 UTC +2026-12-26 00:00 UTC +5%-25% +50% +scheduled +holiday-acme`),
		regexp.MustCompile(`spring +acme-mfg +- +2027-03-01 00:00 UTC +2027-03-15 00:00 UTC +- +- +scheduled +not joined`),
	} {
		if !want.MatchString(cal) {
			t.Errorf("calendar lacks %s:\n%s", want, cal)
		}
	}
	f.mustRun("plan", "--at", "2026-12-02T00:00:00Z")
	if code, out, errOut := f.run("diff", "--base", "HEAD", "--at", "2026-11-30T12:00:00Z"); code != ExitOK || !strings.Contains(out, "No change") {
		t.Errorf("diff: exit %d\n%s\n%s", code, out, errOut)
	}
}

// The seller's promotion checked against the campaign's terms: each
// breach is one diagnostic at the line that makes it.
func TestCampaignTerms(t *testing.T) {
	f := newCampaignFixture(t, "v1")
	f.mustRun("campaigns", "get")
	for _, tc := range []struct {
		name, promo, summary string
		line                 int
		detail               string
	}{
		{"over the cap", "  discount = \"30%\"\n", "Discount over the campaign's cap", 29,
			`takes 30% off; campaign "holiday" (acme-mfg) caps discounts at 25%`},
		{"under the minimum", "  discount = \"2%\"\n", "Discount under the campaign's minimum", 29, "asks for at least 5%"},
		{"window outside", "  starts   = \"2026-11-28T00:00:00Z\"\n  discount = \"20%\"\n", "Promotion outside its campaign", 29,
			"runs 2026-11-28T00:00:00Z to 2026-12-26T00:00:00Z, outside campaign \"holiday\"'s window, 2026-12-01T00:00:00Z to 2026-12-26T00:00:00Z"},
		{"ineligible SKU", "  skus     = [\"A\", \"C\"]\n  discount = \"20%\"\n", "Products outside the campaign", 27,
			`covers C, which campaign "holiday" does not take`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.writeSpec(tc.promo)
			ds := f.diags()
			if len(ds) != 1 {
				t.Fatalf("%d errors, want 1: %+v", len(ds), ds)
			}
			d := ds[0]
			if d.Summary != tc.summary || d.Range == nil || d.Range.Filename != filepath.Join(f.dir, "accord.hcl") || d.Range.Line != tc.line || !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("got %s at %+v: %s\nwant %s at line %d: ...%s...", d.Summary, d.Range, d.Detail, tc.summary, tc.line, tc.detail)
			}
		})
	}
}

// upgrade moves a lock that follows a branch, keeps the commit it left,
// says what the partner changed, and accord diff shows what that does to
// prices; a promotion that fixed its own window is then outside the moved
// one, in a diagnostic that names both commits.
func TestCampaignUpgrade(t *testing.T) {
	f := newCampaignFixture(t, "main")
	f.mustRun("campaigns", "get")
	v1 := f.partner.head()
	f.seller.commit("Lock the campaigns", map[string]string{"shop/" + spec.LockFile: string(mustRead(t, filepath.Join(f.dir, spec.LockFile)))})

	f.partner.commit("Holiday starts later, capped lower", map[string]string{
		"holiday-2026/campaign.hcl": campaignVersion("starts       = \"2026-12-03T00:00:00Z\"\n  ends         = \"2026-12-26T00:00:00Z\"", "20%"),
	})
	v2 := f.partner.head()
	// get keeps the lock where it is.
	if out := f.mustRun("campaigns", "get"); !regexp.MustCompile(`holiday +` + v1[:12] + ` +locked`).MatchString(out) {
		t.Errorf("get after the partner moved:\n%s", out)
	}
	if code, _, errOut := f.run("campaigns", "upgrade", "holidy"); code != ExitError || !strings.Contains(errOut, `did you mean "holiday"?`) {
		t.Errorf("upgrade of a misspelt name: exit %d\n%s", code, errOut)
	}
	out := f.mustRun("campaigns", "upgrade", "holiday")
	for _, want := range []string{
		v2[:12] + "  upgraded from " + v1[:12],
		"holiday: window moved from 2026-12-01 00:00 UTC to 2026-12-26 00:00 UTC, to 2026-12-03 00:00 UTC to 2026-12-26 00:00 UTC",
		"holiday: discount bounds 5%-20%, were 5%-25%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("upgrade output lacks %q:\n%s", want, out)
		}
	}
	if l := f.locks()["holiday"]; l.Commit != v2 || l.Previous != v1 {
		t.Errorf("lock %+v, want %s after %s", l, v2, v1)
	}
	if out := f.mustRun("campaigns", "upgrade", "holiday"); !strings.Contains(out, "up to date") {
		t.Errorf("second upgrade:\n%s", out)
	}

	// What the upgrade does: from December 1 to 3 A and B are no longer
	// discounted.
	m, _ := diffJSON(t, f.dir, "--base", "HEAD")
	var dec1 []string
	for _, s := range m["steps"].([]any) {
		if s.(map[string]any)["at"] == "2026-12-01T00:00:00Z" {
			dec1 = changesOf(s)
		}
	}
	if strings.Join(dec1, "\n") != "web A compare_at 20.00 -> null\nweb A price 16.00 -> 20.00\nweb B compare_at 10.00 -> null\nweb B price 8.00 -> 10.00" {
		t.Errorf("diff from 2026-12-01:\n%s", strings.Join(dec1, "\n"))
	}

	// A promotion that kept December 1 as its start.
	f.writeSpec("  starts   = \"2026-12-01T00:00:00Z\"\n  discount = \"20%\"\n")
	ds := f.diags()
	if len(ds) != 1 || !strings.Contains(ds[0].Detail, "at commit "+v2[:12]) || !strings.Contains(ds[0].Detail, "The partner moved the window: at commit "+v1[:12]+" it ran 2026-12-01T00:00:00Z to 2026-12-26T00:00:00Z") {
		t.Errorf("diagnostics: %+v", ds)
	}
}

// A partner checks its campaign before publishing it.
func TestCampaignValidate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "campaign.hcl"), []byte(campaignVersion("starts       = \"2026-12-01T00:00:00Z\"\n  ends         = \"2026-12-26T00:00:00Z\"", "25%")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("campaigns", "validate", "--dir", dir)
	if code != ExitOK || out != "The campaign is valid: partner acme-mfg, theme Holiday 2026, 2026-12-01 00:00 UTC to 2026-12-26 00:00 UTC, 5%-25% off, partner funds 50%, on sandbox, eligible by 1 brand.\n" {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	bad := strings.NewReplacer(`"5%"`, `"30%"`, `"2026-12-26T00:00:00Z"`, `"2026-11-26T00:00:00Z"`).Replace(campaignVersion("starts       = \"2026-12-01T00:00:00Z\"\n  ends         = \"2026-12-26T00:00:00Z\"", "25%"))
	if err := os.WriteFile(filepath.Join(dir, "campaign.hcl"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI("campaigns", "validate", "--dir", dir)
	if code != ExitError || !strings.Contains(errOut, "Campaign ends before it starts") || !strings.Contains(errOut, "Campaign bounds cross") || !strings.Contains(errOut, "campaign.hcl:5:") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tag tags HEAD.
func (g *gitRepo) tag(name string) {
	g.t.Helper()
	head, err := g.repo.Head()
	if err != nil {
		g.t.Fatal(err)
	}
	if _, err := g.repo.CreateTag(name, head.Hash(), nil); err != nil {
		g.t.Fatal(err)
	}
}

// head is HEAD's commit hash.
func (g *gitRepo) head() string {
	g.t.Helper()
	head, err := g.repo.Head()
	if err != nil {
		g.t.Fatal(err)
	}
	return head.Hash().String()
}
