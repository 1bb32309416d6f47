package spec_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/spec"
)

const slackSecret = "XXXXXXXXXXXXXXXXXXXXXXXX"

func TestNotifyDefaults(t *testing.T) {
	s := mustLoad(t, header+`
notify "ops" {
  url = env("ACCORD_SLACK_WEBHOOK")
}
notify "audit" {
  url          = "https://audit.example.com/accord"
  events       = ["apply_failed"]
  min_severity = "info"
  format       = "slack"
}
`, nil, nil)
	type row struct {
		Name, MinSeverity string
		Events            []string
		Format            spec.NotifyFormat
	}
	var got []row
	for _, n := range s.Notify {
		got = append(got, row{n.Name, n.MinSeverity, n.Events, n.Format})
	}
	want := []row{
		{"ops", "warning", []string{"exception_opened", "apply_failed", "commit_refused", "plan_pending"}, spec.NotifyJSON},
		{"audit", "info", []string{"apply_failed"}, spec.NotifySlack},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notify blocks (-want +got):\n%s", diff)
	}
}

// TestNotifyValidateNeedsNoSecret: a url read with env() loads while the
// variable is unset, as validate runs in CI, and resolves once it is set.
func TestNotifyValidateNeedsNoSecret(t *testing.T) {
	src := header + `
notify "ops" {
  url = env("ACCORD_SLACK_WEBHOOK")
}
`
	hook := "https://hooks.slack.com/services/T0001/B0001/" + slackSecret
	s, diags := load(t, src, nil, nil)
	if len(diags) > 0 {
		t.Fatalf("load without the variable: %s", diags.Error())
	}
	if _, diags := s.Notify[0].ResolveURL(s.Eval); !diags.HasErrors() || !strings.Contains(diags.Error(), "ACCORD_SLACK_WEBHOOK is not set") {
		t.Errorf("resolving with the variable unset: %v, want an error naming it", diags)
	}

	s = mustLoad(t, src, map[string]string{"ACCORD_SLACK_WEBHOOK": hook}, nil)
	got, diags := s.Notify[0].ResolveURL(s.Eval)
	if diags.HasErrors() || got != hook {
		t.Errorf("ResolveURL = %q, %v; want the variable's value", got, diags)
	}
}

// TestNotifyURLNeverPrinted: no diagnostic about a url, rendered as
// validate renders it (with snippets), holds the url's secret part.
func TestNotifyURLNeverPrinted(t *testing.T) {
	tests := []struct {
		name, block string
		env         map[string]string
		resolve     bool // the problem shows when the url is resolved
		want        string
	}{
		{
			name: "literal slack hook",
			block: `notify "ops" {
  url = "https://hooks.slack.com/services/T0001/B0001/` + slackSecret + `"
}`,
			want: "Webhook secret in the spec",
		},
		{
			name:  "literal on the block's line",
			block: `notify "ops" { url = "https://hooks.slack.com/services/T0001/B0001/` + slackSecret + `" }`,
			want:  "(main.hcl:8)",
		},
		{
			name: "literal without a scheme",
			block: `notify "ops" {
  url = "hooks.slack.com/services/T0001/B0001/` + slackSecret + `"
}`,
			want: "has no scheme",
		},
		{
			name: "literal with a token query",
			block: `notify "ops" {
  url = "http://alerts.internal/hook?token=` + slackSecret + `"
}`,
			want: "Webhook secret in the spec",
		},
		{
			name: "from the environment, bad scheme",
			block: `notify "ops" {
  url = env("HOOK")
}`,
			env:     map[string]string{"HOOK": "ftp://files.example.com/" + slackSecret},
			resolve: true,
			want:    `its scheme is "ftp"`,
		},
		{
			name: "from the environment, in a template",
			block: `notify "ops" {
  url = "${env("HOOK")}/extra"
}`,
			env:     map[string]string{"HOOK": "hooks.slack.com/services/" + slackSecret},
			resolve: true,
			want:    "has no scheme",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, diags := load(t, header+tt.block+"\n", tt.env, nil)
			if tt.resolve {
				if diags.HasErrors() {
					t.Fatalf("load: %s", diags.Error())
				}
				_, diags = s.Notify[0].ResolveURL(s.Eval)
			}
			out := render(t, diags, s.Sources)
			if !strings.Contains(out, tt.want) {
				t.Errorf("diagnostics do not say %q:\n%s", tt.want, out)
			}
			if strings.Contains(out, slackSecret) {
				t.Errorf("diagnostics print the url's secret:\n%s", out)
			}
			for _, d := range diags {
				if d.Expression != nil || d.EvalContext != nil {
					t.Errorf("diagnostic %q carries its expression, whose values a renderer prints", d.Summary)
				}
			}
		})
	}
}

// TestNotifyPlainURLNoWarning: an address with nothing secret-looking in
// it is not a warning, and a url built from a variable is not "written
// in the spec".
func TestNotifyPlainURLNoWarning(t *testing.T) {
	for _, block := range []string{
		`notify "ops" {
  url = "https://alerts.example.com/accord/events"
}`,
		`variable "hook" {
  default = "https://x"
}
notify "ops" {
  url = "${var.hook}/services/T0001/B0001/` + slackSecret + `"
}`,
	} {
		_, diags := load(t, header+block+"\n", nil, nil)
		if len(diags) > 0 {
			t.Errorf("%s\ndiagnostics: %s", block, diags.Error())
		}
	}
}

func TestSeverityRank(t *testing.T) {
	for i, s := range spec.NotifySeverities {
		if r, ok := spec.SeverityRank(s); !ok || r != i {
			t.Errorf("SeverityRank(%q) = %d, %v", s, r, ok)
		}
	}
	if _, ok := spec.SeverityRank("warn"); ok {
		t.Error(`SeverityRank("warn") is known`)
	}
}
