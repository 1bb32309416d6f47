package file

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
)

// fixedNow is the clock of every test that applies.
var fixedNow = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// configBody parses `config { ... }` and returns the block's body.
func configBody(t *testing.T, inner string) hcl.Body {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte("config {\n"+inner+"\n}\n"), "accord.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags.Error())
	}
	content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "config"}}})
	if diags.HasErrors() {
		t.Fatalf("content: %s", diags.Error())
	}
	return content.Blocks[0].Body
}

func testSetup(t *testing.T, dir, inner string) adapters.Setup {
	return adapters.Setup{
		Name:     "regional",
		Currency: "EUR",
		Scale:    2,
		SpecDir:  dir,
		Config:   configBody(t, inner),
		Eval:     &hcl.EvalContext{},
		Now:      func() time.Time { return fixedNow },
	}
}

// open opens a file channel in dir with the given config attributes.
func open(t *testing.T, dir, inner string) *channel {
	t.Helper()
	ch, err := Open(context.Background(), testSetup(t, dir, inner))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return ch.(*channel)
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "feed.JSONL")
	tests := []struct {
		name, config      string
		eval              *hcl.EvalContext
		export, format    string
		outbox            string
		outboxJSONL       bool
		exportName, oName string
	}{
		{
			name:   "defaults",
			config: `export = "regional-export.csv"`,
			export: filepath.Join(dir, "regional-export.csv"), format: formatCSV,
			outbox:     filepath.Join(dir, ".accord", "outbox", "regional.csv"),
			exportName: "regional-export.csv", oName: ".accord/outbox/regional.csv",
		},
		{
			name:   "format from the extension, JSON Lines outbox",
			config: `export = "sub/feed.json"` + "\n" + `outbox = ".accord/regional-outbox.jsonl"`,
			export: filepath.Join(dir, "sub", "feed.json"), format: formatJSON,
			outbox: filepath.Join(dir, ".accord", "regional-outbox.jsonl"), outboxJSONL: true,
			exportName: "sub/feed.json", oName: ".accord/regional-outbox.jsonl",
		},
		{
			name:   "absolute export, extension in any case",
			config: `export = "` + filepath.ToSlash(abs) + `"`,
			export: abs, format: formatJSONL,
			outbox:     filepath.Join(dir, ".accord", "outbox", "regional.csv"),
			exportName: filepath.ToSlash(abs), oName: ".accord/outbox/regional.csv",
		},
		{
			name:   "format overrides the extension",
			config: `export = "export.txt"` + "\n" + `format = "jsonl"`,
			export: filepath.Join(dir, "export.txt"), format: formatJSONL,
			outbox:     filepath.Join(dir, ".accord", "outbox", "regional.csv"),
			exportName: "export.txt", oName: ".accord/outbox/regional.csv",
		},
		{
			name:   "evaluated in the spec's context",
			config: `export = var.export`,
			eval: &hcl.EvalContext{Variables: map[string]cty.Value{
				"var": cty.ObjectVal(map[string]cty.Value{"export": cty.StringVal("x.csv")}),
			}},
			export: filepath.Join(dir, "x.csv"), format: formatCSV,
			outbox:     filepath.Join(dir, ".accord", "outbox", "regional.csv"),
			exportName: "x.csv", oName: ".accord/outbox/regional.csv",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setup := testSetup(t, dir, tt.config)
			if tt.eval != nil {
				setup.Eval = tt.eval
			}
			ch, err := Open(context.Background(), setup)
			if err != nil {
				t.Fatal(err)
			}
			c := ch.(*channel)
			if c.export != tt.export || c.format != tt.format || c.outbox != tt.outbox || c.outboxJSONL != tt.outboxJSONL {
				t.Errorf("export %s (%s), outbox %s (jsonl %v); want %s (%s), %s (jsonl %v)",
					c.export, c.format, c.outbox, c.outboxJSONL, tt.export, tt.format, tt.outbox, tt.outboxJSONL)
			}
			if c.exportName != tt.exportName || c.outboxName != tt.oName {
				t.Errorf("names %s, %s; want %s, %s", c.exportName, c.outboxName, tt.exportName, tt.oName)
			}
		})
	}
}

func TestOpenConfigErrors(t *testing.T) {
	tests := []struct {
		name, config string
		summary      string
		line         int // of the diagnostic's subject
	}{
		{"unknown attribute", "export = \"a.csv\"\nexprot = \"b.csv\"", "Unsupported argument", 3},
		{"missing export", `outbox = "o.csv"`, "Missing required argument", 1},
		{"empty export", `export = ""`, "Empty export path", 2},
		{"unknown format", "export = \"a.csv\"\n\nformat = \"xml\"", "Unknown export format", 4},
		{"format not told by the extension", `export = "a.txt"`, "Unknown export format", 2},
		{"outbox of another kind", "export = \"a.csv\"\noutbox = \"out.json\"", "Unknown outbox format", 3},
		{"wrong type", `export = ["a.csv"]`, "Incorrect attribute value type", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), testSetup(t, t.TempDir(), tt.config))
			var ce *adapters.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T); want an *adapters.ConfigError", err, err)
			}
			if ce.Channel != "regional" || len(ce.Diags) != 1 {
				t.Fatalf("channel %q, diagnostics %v", ce.Channel, ce.Diags)
			}
			d := ce.Diags[0]
			if d.Summary != tt.summary {
				t.Errorf("summary %q; want %q (%s)", d.Summary, tt.summary, d.Detail)
			}
			if d.Subject == nil || d.Subject.Filename != "accord.hcl" || d.Subject.Start.Line != tt.line {
				t.Errorf("subject %v; want accord.hcl line %d", d.Subject, tt.line)
			}
		})
	}
}

func TestOpenWithoutConfig(t *testing.T) {
	setup := testSetup(t, t.TempDir(), "")
	setup.Config = nil
	_, err := Open(context.Background(), setup)
	var ce *adapters.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "needs a config block with export") {
		t.Fatalf("error %v; want a ConfigError asking for a config block", err)
	}
}
