package notify_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/notify"
	"github.com/accordhq/accord/spec"
)

const specSrc = `
notify "ops" {
  url          = env("ACCORD_SLACK_WEBHOOK")
  events       = ["apply_failed", "commit_refused"]
  min_severity = "error"
  format       = "slack"
}
notify "audit" {
  url = env("AUDIT_HOOK")
}
`

func load(t *testing.T, src string, env map[string]string) *spec.Spec {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{"main.hcl": {Data: []byte(src)}}, spec.Options{
		Types:     builtin.Registry(),
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s
}

func TestTargets(t *testing.T) {
	hook := "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
	s := load(t, specSrc, map[string]string{"ACCORD_SLACK_WEBHOOK": hook})
	targets, key, err := notify.Targets(s)
	want := []notify.Target{{
		Name: "ops", URL: notify.SecretURL(hook), Events: []string{"apply_failed", "commit_refused"},
		MinSeverity: "error", Format: spec.NotifySlack,
	}}
	if diff := cmp.Diff(want, targets); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	// The block whose variable is unset is left out, named in the error.
	if err == nil || !strings.Contains(err.Error(), "AUDIT_HOOK is not set") {
		t.Errorf("error: %v", err)
	}

	// The key moves with an address, and does not show it.
	if strings.Contains(key, "XXXX") || key == "" {
		t.Errorf("key %q", key)
	}
	_, same, _ := notify.Targets(load(t, specSrc, map[string]string{"ACCORD_SLACK_WEBHOOK": hook}))
	_, moved, _ := notify.Targets(load(t, specSrc, map[string]string{"ACCORD_SLACK_WEBHOOK": hook + "Y"}))
	if same != key || moved == key {
		t.Errorf("keys %s, %s (same), %s (moved)", key, same, moved)
	}
	all, _, err := notify.Targets(load(t, specSrc, map[string]string{"ACCORD_SLACK_WEBHOOK": hook, "AUDIT_HOOK": "https://audit.example.com"}))
	if err != nil || len(all) != 2 {
		t.Errorf("with both variables set: %d targets, %v", len(all), err)
	}
}

// TestRevisionCoversNotify: the spec's revision moves with its notify
// blocks (they are in its files), and not with the webhook's address read
// from the environment, which is no part of the spec (and a secret).
func TestRevisionCoversNotify(t *testing.T) {
	env := map[string]string{"ACCORD_SLACK_WEBHOOK": "https://hooks.example.com/a", "AUDIT_HOOK": "https://audit.example.com"}
	base := controller.Revision(load(t, specSrc, env))
	if got := controller.Revision(load(t, strings.Replace(specSrc, `"error"`, `"warning"`, 1), env)); got == base {
		t.Error("changing min_severity keeps the revision")
	}
	env["ACCORD_SLACK_WEBHOOK"] = "https://hooks.example.com/b"
	if got := controller.Revision(load(t, specSrc, env)); got != base {
		t.Errorf("the webhook's environment variable moved the revision: %s, was %s", got, base)
	}
}
