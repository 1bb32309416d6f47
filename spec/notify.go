package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/spec/funcs"
)

// The events a notify block can subscribe to.
const (
	// EventExceptionOpened: a channel holds a value accord did not apply,
	// or something else needs a person, for the first time.
	EventExceptionOpened = "exception_opened"
	// EventApplyFailed: changes were not applied.
	EventApplyFailed = "apply_failed"
	// EventCommitRefused: a new spec commit does not load, or a guard
	// refused its plan.
	EventCommitRefused = "commit_refused"
	// EventPlanPending: a plan waits for a person to approve it.
	EventPlanPending = "plan_pending"
)

// NotifyEvents is every event a notify block can name, the default of
// events.
var NotifyEvents = []string{EventExceptionOpened, EventApplyFailed, EventCommitRefused, EventPlanPending}

// The severities of an event, least first.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// NotifySeverities lists the severities least first: an event reaches a
// block whose min_severity is at or before its own in this list.
var NotifySeverities = []string{SeverityInfo, SeverityWarning, SeverityError}

// SeverityRank is a severity's place in NotifySeverities, and false for a
// word that is not a severity.
func SeverityRank(s string) (int, bool) {
	for i, v := range NotifySeverities {
		if v == s {
			return i, true
		}
	}
	return -1, false
}

func (l *loader) decodeNotify(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true}, {Name: "events"}, {Name: "min_severity"}, {Name: "format"},
	}}
	seen := map[string]*Notify{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid notify name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate notify block", fmt.Sprintf("notify %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		n := &Notify{
			Name: name, Events: append([]string(nil), NotifyEvents...),
			MinSeverity: SeverityWarning, Format: NotifyJSON, Range: b.DefRange,
		}
		seen[name] = n
		c := l.content(b.Body, schema)
		ok := c.Attributes["url"] != nil
		if a := c.Attributes["url"]; a != nil && !l.notifyURL(n, a, b) {
			ok = false
		}
		if a := c.Attributes["events"]; a != nil {
			n.EventsRange = a.Expr.Range()
			if events, good := l.notifyEvents(n, a); good {
				n.Events = events
			} else {
				ok = false
			}
		}
		if a := c.Attributes["min_severity"]; a != nil {
			if s, good := l.oneOf(a, NotifySeverities...); good {
				n.MinSeverity = s
			} else {
				ok = false
			}
		}
		if a := c.Attributes["format"]; a != nil {
			if s, good := l.oneOf(a, string(NotifyJSON), string(NotifySlack)); good {
				n.Format = NotifyFormat(s)
			} else {
				ok = false
			}
		}
		if ok {
			l.spec.Notify = append(l.spec.Notify, n)
		}
	}
}

// notifyEvents reads events: known names, each once, at least one.
func (l *loader) notifyEvents(n *Notify, a *hcl.Attribute) ([]string, bool) {
	events, ok := l.strList(a)
	if !ok {
		return nil, false
	}
	if len(events) == 0 {
		l.errAt(a.Expr.Range(), "No events", fmt.Sprintf("notify %q subscribes to no event. Leave events out for all of them (%s), or remove the block.", n.Name, quoteList(NotifyEvents)))
		return nil, false
	}
	seen := map[string]bool{}
	for _, e := range events {
		switch {
		case !contains(NotifyEvents, e):
			l.errAt(a.Expr.Range(), "Unknown event", fmt.Sprintf("%q is not an event accord sends; the events are %s.%s", e, quoteList(NotifyEvents), didYouMean(e, NotifyEvents)))
			ok = false
		case seen[e]:
			l.errAt(a.Expr.Range(), "Duplicate event", fmt.Sprintf("events lists %q twice.", e))
			ok = false
		}
		seen[e] = true
	}
	return events, ok
}

// notifyURL checks a notify block's url as far as it is known without the
// environment: env() is left unknown, as in a channel's config block, so
// that validate needs no webhook secret. The value itself is never kept
// and never written into a diagnostic; a url written literally that looks
// like it holds a secret is a warning that points at the block's first
// line, not at its own, so that printing the warning does not print the
// secret in a snippet.
func (l *loader) notifyURL(n *Notify, a *hcl.Attribute, b *hcl.Block) bool {
	n.URL = a.Expr
	n.URLRange = a.Expr.Range()
	ctx := l.ctx.NewChild()
	ctx.Functions = map[string]function.Function{"env": funcs.EnvUnknown()}
	v, diags := a.Expr.Value(ctx)
	l.diags = append(l.diags, quiet(diags)...)
	if diags.HasErrors() {
		return false
	}
	if v.Type() != cty.String && v.Type() != cty.DynamicPseudoType {
		l.typeError(a, "a string")
		return false
	}
	s, err := convert.Convert(v, cty.String)
	switch {
	case err != nil:
		l.typeError(a, "a string")
		return false
	case s.IsNull():
		l.errAt(a.Expr.Range(), "Missing value", "url is null; give it the webhook's address, or env(\"NAME\") to read it from the environment.")
		return false
	case !s.IsKnown():
		return true // read from the environment when the notifier starts
	}
	literal := isLiteral(a.Expr)
	secret := mayHoldSecret(s.AsString())
	if problem := checkWebhookURL(s.AsString()); problem != "" {
		subject, where := a.Expr.Range().Ptr(), ""
		if literal && secret {
			subject, where = safeSubject(a, b), fmt.Sprintf(" (%s)", rangeLine(a.NameRange))
		}
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid webhook URL",
			Detail:  fmt.Sprintf("The url of notify %q%s %s.", n.Name, where, problem),
			Subject: subject,
		})
		return false
	}
	if literal && secret {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning, Summary: "Webhook secret in the spec",
			Detail: fmt.Sprintf("The url of notify %q (%s) looks like it carries a credential, and it is written in the spec: anyone who can read the repository can post to it. Read it from the environment instead: url = env(%q).",
				n.Name, rangeLine(a.NameRange), envName(n.Name)),
			Subject: safeSubject(a, b),
		})
	}
	return true
}

// ResolveURL evaluates the url with the spec's environment (Spec.Eval),
// as the notifier does when it starts, and checks it. A diagnostic never
// holds the value: a webhook's address is often its credential.
func (n *Notify) ResolveURL(ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := n.URL.Value(ctx)
	diags = quiet(diags)
	if diags.HasErrors() {
		return "", diags
	}
	bad := func(detail string) (string, hcl.Diagnostics) {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid webhook URL",
			Detail: fmt.Sprintf("The url of notify %q %s.", n.Name, detail), Subject: n.URLRange.Ptr(),
		})
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return bad("is not a string")
	}
	if problem := checkWebhookURL(s.AsString()); problem != "" {
		return bad(problem)
	}
	return s.AsString(), diags
}

// quiet drops the expression and its context from diagnostics, so that
// rendering them does not print the values the expression refers to.
func quiet(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		d.Expression, d.EvalContext = nil, nil
	}
	return diags
}

// checkWebhookURL returns what is wrong with a webhook address, in words
// that do not repeat it, or "".
func checkWebhookURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme == "":
		return "has no scheme: it must start with https:// (or http://)"
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("must be an https:// (or http://) address; its scheme is %q", u.Scheme)
	case u.Host == "":
		return "has no host"
	}
	return ""
}

// mayHoldSecret reports whether a webhook address may carry a credential.
// An address that does not parse might hide one anywhere past its host;
// one without a scheme is read as if it had https://.
func mayHoldSecret(s string) bool {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		rest := s[strings.Index(s, "://")+3:]
		return strings.ContainsAny(rest, "/?@#")
	}
	return webhookSecret(u)
}

// tokenRe matches a path segment or query value that looks generated: 16
// or more letters, digits, - and _ with at least one digit and one letter.
var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,}$`)

var secretParams = []string{"token", "key", "secret", "sig", "signature", "auth", "code", "password", "apikey", "api_key", "access_token"}

// webhookSecret reports whether a webhook address looks like it carries
// a credential: a password, a known webhook host, a query parameter named
// like one, or a long generated path segment (Slack's, Discord's, Teams').
func webhookSecret(u *url.URL) bool {
	if _, ok := u.User.Password(); ok {
		return true
	}
	switch strings.ToLower(u.Hostname()) {
	case "hooks.slack.com", "discord.com", "discordapp.com":
		return true
	}
	for k, vs := range u.Query() {
		if contains(secretParams, strings.ToLower(k)) {
			return true
		}
		for _, v := range vs {
			if generated(v) {
				return true
			}
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if generated(seg) {
			return true
		}
	}
	return false
}

func generated(s string) bool {
	return tokenRe.MatchString(s) && strings.ContainsAny(s, "0123456789") &&
		strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0
}

// isLiteral reports whether an expression is a string written out in the
// spec: no variable, no function call, no interpolation.
func isLiteral(expr hcl.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			if _, ok := p.(*hclsyntax.LiteralValueExpr); !ok {
				return false
			}
		}
		return true
	case *hclsyntax.TemplateWrapExpr:
		return isLiteral(e.Wrapped)
	}
	return false
}

// safeSubject is where a diagnostic about a url that may hold a secret
// points: the block's first line, whose snippet does not show the url.
// A block written on one line has no such line; the diagnostic then has
// no snippet, and its detail names the line.
func safeSubject(a *hcl.Attribute, b *hcl.Block) *hcl.Range {
	if b.DefRange.End.Line >= a.Range.Start.Line {
		return nil
	}
	return b.DefRange.Ptr()
}

// envName is the environment variable a warning suggests for a block's url.
func envName(name string) string {
	return "ACCORD_NOTIFY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_URL"
}
