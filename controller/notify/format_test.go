package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accordhq/accord/spec"
)

// The shape of a Slack incoming-webhook message as Slack documents it
// (docs.slack.dev: "Sending messages using incoming webhooks"; the Block
// Kit reference for the header, section and context blocks and for text
// objects). Decoding with unknown fields disallowed checks that nothing
// else is sent.
type wantMessage struct {
	Text   string      `json:"text"`
	Blocks []wantBlock `json:"blocks"`
}

type wantBlock struct {
	Type     string     `json:"type"`
	Text     *wantText  `json:"text"`
	Fields   []wantText `json:"fields"`
	Elements []wantText `json:"elements"`
}

type wantText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// checkSlack fails the test where body is not a message Slack accepts.
func checkSlack(t *testing.T, body []byte) wantMessage {
	t.Helper()
	var m wantMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a Slack message: %v\n%s", err, body)
	}
	chars := utf8.RuneCountInString
	if strings.TrimSpace(m.Text) == "" {
		t.Error("text, the notification's fallback, is empty")
	}
	if len(m.Blocks) == 0 || len(m.Blocks) > 50 {
		t.Errorf("%d blocks; a message has 1 to 50", len(m.Blocks))
	}
	text := func(where string, x *wantText, limit int, types ...string) {
		switch {
		case x == nil:
			t.Errorf("%s: no text object", where)
		case !contains(types, x.Type):
			t.Errorf("%s: text of type %q, want one of %v", where, x.Type, types)
		case x.Text == "":
			t.Errorf("%s: empty text", where)
		case chars(x.Text) > limit:
			t.Errorf("%s: %d characters, at most %d", where, chars(x.Text), limit)
		}
	}
	for i, b := range m.Blocks {
		where := fmt.Sprintf("block %d (%s)", i, b.Type)
		switch b.Type {
		case "header":
			text(where, b.Text, 150, "plain_text")
			if b.Fields != nil || b.Elements != nil {
				t.Errorf("%s: a header has text only", where)
			}
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("%s: neither text nor fields", where)
			}
			if b.Text != nil {
				text(where, b.Text, 3000, "plain_text", "mrkdwn")
			}
			if len(b.Fields) > 10 {
				t.Errorf("%s: %d fields, at most 10", where, len(b.Fields))
			}
			for j := range b.Fields {
				text(fmt.Sprintf("%s field %d", where, j), &b.Fields[j], 2000, "plain_text", "mrkdwn")
			}
			if b.Elements != nil {
				t.Errorf("%s: a section has no elements", where)
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				t.Errorf("%s: %d elements; a context has 1 to 10", where, len(b.Elements))
			}
			for j := range b.Elements {
				text(fmt.Sprintf("%s element %d", where, j), &b.Elements[j], 3000, "plain_text", "mrkdwn")
			}
		default:
			t.Errorf("%s: not a block type this message uses", where)
		}
	}
	return m
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestSlackPayload(t *testing.T) {
	h := newHook(t, nil)
	n, _, _, _ := start(t, Target{Name: "ops", URL: SecretURL(h.URL), Format: spec.NotifySlack})
	n.Send(Event{
		Kind: spec.EventExceptionOpened, Severity: spec.SeverityWarning,
		Title: "drift on tiktok HP-02 title", Text: "observed <b>Acme & Co</b>, expected Acme", Commit: "9f2c1e0",
		Channel: "tiktok", SKU: "HP-02", At: clock,
		Fields: map[string]string{"code": "drift", "id": "17"},
	})
	m := checkSlack(t, h.next(t).body)
	if m.Text != ":warning: drift on tiktok HP-02 title" {
		t.Errorf("text %q", m.Text)
	}
	var all []string
	for _, b := range m.Blocks {
		if b.Text != nil {
			all = append(all, b.Text.Text)
		}
		for _, f := range append(b.Fields, b.Elements...) {
			all = append(all, f.Text)
		}
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{
		"drift on tiktok HP-02 title",
		"observed &lt;b&gt;Acme &amp; Co&lt;/b&gt;, expected Acme",
		"*Channel*\ntiktok", "*SKU*\nHP-02", "*code*\ndrift", "*id*\n17",
		"accord · `exception_opened` · warning · commit `9f2c1e0` · 2026-11-27T05:00:00Z",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the message does not hold %q:\n%s", want, got)
		}
	}
}

// TestSlackPayloadLimits: an event larger than Block Kit allows still
// makes a message Slack accepts.
func TestSlackPayloadLimits(t *testing.T) {
	fields := map[string]string{}
	for i := range 45 {
		fields[fmt.Sprintf("f%02d", i)] = strings.Repeat("v", 2500)
	}
	for _, e := range []Event{
		{Kind: spec.EventApplyFailed, Severity: spec.SeverityError, At: clock},
		{
			Kind: spec.EventApplyFailed, Severity: spec.SeverityError, At: clock,
			Title: strings.Repeat("é", 200), Text: strings.Repeat("&", 5000),
			Channel: "amazon_us", Fields: fields,
		},
	} {
		data, err := body(spec.NotifySlack, e)
		if err != nil {
			t.Fatal(err)
		}
		m := checkSlack(t, data)
		for _, b := range m.Blocks {
			if b.Text != nil && strings.HasSuffix(b.Text.Text, "&amp…") {
				t.Errorf("an escape cut in half: %q", b.Text.Text[len(b.Text.Text)-12:])
			}
		}
		if len(e.Fields) > 0 && !strings.Contains(string(data), "16 more fields not shown") {
			t.Errorf("46 fields shown in 30 without saying so")
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"ééééé", 3, "éé…"},
		{"ab &amp; cd", 6, "ab …"},
		{"ab &amp; cd", 10, "ab &amp; …"},
	} {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
