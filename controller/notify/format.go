package notify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accordhq/accord/spec"
)

// body is what a target posts for an event.
func body(format spec.NotifyFormat, e Event) ([]byte, error) {
	if format == spec.NotifySlack {
		return json.Marshal(slackMessage(e))
	}
	return json.Marshal(jsonEvent{
		Kind: e.Kind, Severity: e.Severity, Title: oneLine(e.Title), Text: e.Text,
		Commit: e.Commit, Channel: e.Channel, SKU: e.SKU,
		At: e.At.UTC().Format(time.RFC3339), Fields: e.Fields,
	})
}

// jsonEvent is the json format: the event, its time in RFC 3339 (UTC),
// every extra value a string (money included, as everywhere in accord's
// output), and what does not apply left out.
type jsonEvent struct {
	Kind     string            `json:"kind"`
	Severity string            `json:"severity"`
	Title    string            `json:"title"`
	Text     string            `json:"text,omitempty"`
	Commit   string            `json:"commit,omitempty"`
	Channel  string            `json:"channel,omitempty"`
	SKU      string            `json:"sku,omitempty"`
	At       string            `json:"at"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// Slack's incoming webhooks take a message: text, the notification's
// fallback, and Block Kit blocks (docs.slack.dev, "Sending messages using
// incoming webhooks"). The limits are Block Kit's: a header's plain text
// at most 150 characters; a section's text 3000, its fields at most 10
// of 2000 each; a context at most 10 elements; at most 50 blocks.
const (
	slackHeaderMax    = 150
	slackTextMax      = 3000
	slackFieldMax     = 2000
	slackFieldsPerSec = 10
	// slackFieldSections bounds the field sections of one message, far
	// under the 50 blocks a message may have.
	slackFieldSections = 3
)

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

var severityEmoji = map[string]string{
	spec.SeverityInfo:    ":information_source:",
	spec.SeverityWarning: ":warning:",
	spec.SeverityError:   ":rotating_light:",
}

func slackMessage(e Event) slackPayload {
	title := oneLine(e.Title)
	if title == "" {
		title = e.Kind
	}
	m := slackPayload{
		Text: strings.TrimSpace(severityEmoji[e.Severity] + " " + escape(title)),
		Blocks: []slackBlock{{
			Type: "header",
			Text: &slackText{Type: "plain_text", Text: truncate(title, slackHeaderMax)},
		}},
	}
	if t := strings.TrimSpace(e.Text); t != "" {
		m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(escape(t), slackTextMax)}})
	}
	var fields []slackText
	field := func(k, v string) {
		if v != "" {
			fields = append(fields, slackText{Type: "mrkdwn", Text: truncate(fmt.Sprintf("*%s*\n%s", escape(k), escape(v)), slackFieldMax)})
		}
	}
	field("Channel", e.Channel)
	field("SKU", e.SKU)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field(k, e.Fields[k])
	}
	left := 0
	if most := slackFieldsPerSec * slackFieldSections; len(fields) > most {
		left, fields = len(fields)-most, fields[:most]
	}
	for len(fields) > 0 {
		n := min(len(fields), slackFieldsPerSec)
		m.Blocks = append(m.Blocks, slackBlock{Type: "section", Fields: fields[:n]})
		fields = fields[n:]
	}
	ctx := []string{"accord", "`" + e.Kind + "`", e.Severity}
	if e.Commit != "" {
		ctx = append(ctx, "commit `"+escape(e.Commit)+"`")
	}
	ctx = append(ctx, e.At.UTC().Format(time.RFC3339))
	if left > 0 {
		ctx = append(ctx, fmt.Sprintf("%d more fields not shown", left))
	}
	m.Blocks = append(m.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: truncate(strings.Join(ctx, " · "), slackTextMax)}}})
	return m
}

// escape writes text for Slack's mrkdwn, where &, < and > are control
// characters (<!channel> would ping everyone).
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// oneLine folds a title onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate cuts s to at most n characters, ending in an ellipsis when cut,
// and never inside an escape such as &amp;.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := lastIndexRune(r, '&'); i >= 0 && i > len(r)-6 && !containsRune(r[i:], ';') {
		r = r[:i]
	}
	return string(r) + "…"
}

func lastIndexRune(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}

func containsRune(r []rune, c rune) bool { return lastIndexRune(r, c) >= 0 }
