package spec_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

const commitA = "0123456789abcdef0123456789abcdef01234567"

// loadWithCampaign loads an inline spec that imports the campaign in
// campaignSrc, locked at commitA.
func loadWithCampaign(t *testing.T, hclSrc, campaignSrc string) (*spec.Spec, hcl.Diagnostics) {
	t.Helper()
	source := "git::https://example.com/acme/campaigns.git//holiday?ref=v1"
	fsys := fstest.MapFS{
		"main.hcl":     {Data: []byte(strings.ReplaceAll(hclSrc, "SOURCE", source))},
		"products.csv": {Data: []byte(catalogCSV)},
		spec.LockFile:  {Data: spec.FormatLocks(map[string]spec.Lock{"holiday": {Name: "holiday", Source: source, Commit: commitA}})},
	}
	campaigns := fstest.MapFS{commitA + "/holiday/campaign.hcl": {Data: []byte(campaignSrc)}}
	return spec.Load(fsys, spec.Options{Types: builtin.Registry(), Campaigns: campaigns})
}

const twoChannels = `
channel "web" {
  type = "sandbox"
}
channel "outbox" {
  type = "file"
  config {
    export = "export.csv"
  }
}
catalog {
  file = "products.csv"
}
price_matrix "default" {}
campaign "holiday" {
  source = "SOURCE"
}
`

const holiday = `campaign {
  partner      = "acme-mfg"
  starts       = "2026-12-01T00:00:00Z"
  ends         = "2026-12-26T00:00:00Z"
  channels     = ["sandbox"]
  max_discount = "25%"
  eligible {
    brands = ["acme"]
  }
}
`

// A promotion that joins a campaign takes what it leaves out from it: the
// window, the partner, the bounds, the campaign's channel types, and the
// eligible products.
func TestCampaignInherits(t *testing.T) {
	s, diags := loadWithCampaign(t, twoChannels+`
promotion "p" {
  campaign = campaign.holiday
  discount = "20%"
}
`, holiday)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := s.Promotions[0]
	if p.Campaign == nil || p.Campaign.Commit != commitA || p.Partner != "acme-mfg" || p.Starts.Format("2006-01-02") != "2026-12-01" ||
		p.Ends.Format("2006-01-02") != "2026-12-26" || p.MaxDiscount.Decimal.String() != "0.25" {
		t.Errorf("promotion %+v", p)
	}
	if strings.Join(p.Channels, ",") != "web" {
		t.Errorf("channels %v, want web alone (sandbox, the campaign's type)", p.Channels)
	}
	if p.CoverCount != 2 || !p.Covers[0] || !p.Covers[1] || p.Covers[2] {
		t.Errorf("covers %v, want the two Acme products", p.Covers)
	}
	if s.Files[spec.LockFile] != spec.LockFile {
		t.Errorf("the lock file is not part of the spec's revision: %v", s.Files)
	}
}

func TestCampaignRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, promo, campaign, want string
	}{
		{"channel of another type", `channels = ["outbox"]`, holiday, `runs on outbox (type file); campaign "holiday" runs on sandbox only`},
		{"lock missing the commit's files", ``, "", "holds no campaign block"},
		{"unknown campaign", ``, holiday, `No campaign "holidy" is imported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := "campaign.holiday"
			if tc.name == "unknown campaign" {
				ref = "campaign.holidy"
			}
			_, diags := loadWithCampaign(t, twoChannels+"promotion \"p\" {\n  campaign = "+ref+"\n  discount = \"20%\"\n  "+tc.promo+"\n}\n", tc.campaign)
			if len(diags.Errs()) != 1 || !strings.Contains(diags.Error(), tc.want) {
				t.Errorf("got %v, want one error with %q", diags, tc.want)
			}
		})
	}
}
