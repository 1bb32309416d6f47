package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/spec"
)

// SecretURL is a webhook's address. It is usually the webhook's credential
// (whoever has a Slack webhook URL can post to its channel), so it prints,
// logs and marshals as "[redacted]"; string(u) is the address.
type SecretURL string

const redacted = "[redacted]"

// String hides the address from fmt's %v and %s.
func (SecretURL) String() string { return redacted }

// GoString hides the address from fmt's %#v.
func (SecretURL) GoString() string { return redacted }

// LogValue hides the address from slog.
func (SecretURL) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText hides the address from encoders (JSON among them).
func (SecretURL) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Target is a notify block with its address resolved: where events go and
// which of them.
type Target struct {
	// Name is the block's label: what logs and Stats call the target.
	Name string
	URL  SecretURL
	// Events are the kinds sent; empty means every kind.
	Events []string
	// MinSeverity is the least severity sent ("info", "warning" or
	// "error"); empty means "warning", the language's default.
	MinSeverity string
	Format      spec.NotifyFormat
}

// Targets resolves the address of every notify block of a spec with the
// spec's environment (env() is read now, not when the spec loaded). A
// block whose address does not resolve is left out, and the error (the
// diagnostics, which name the block and never hold an address) says why;
// the blocks that did resolve are returned all the same.
//
// key identifies the targets, addresses included, without revealing them
// (a hash): a caller that reloads the spec builds a new Notifier only when
// it moves.
func Targets(s *spec.Spec) (targets []Target, key string, err error) {
	var diags hcl.Diagnostics
	h := sha256.New()
	for _, n := range s.Notify {
		u, d := n.ResolveURL(s.Eval)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		t := Target{
			Name: n.Name, URL: SecretURL(u), Events: append([]string(nil), n.Events...),
			MinSeverity: n.MinSeverity, Format: n.Format,
		}
		targets = append(targets, t)
		// A hash.Hash never returns an error from Write.
		_, _ = fmt.Fprintf(h, "%q %q %q %q %q\n", t.Name, string(t.URL), t.Events, t.MinSeverity, t.Format)
	}
	key = hex.EncodeToString(h.Sum(nil))[:16]
	if diags.HasErrors() {
		return targets, key, diags
	}
	return targets, key, nil
}
