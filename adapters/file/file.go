package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
)

// The limits of every file channel.
const (
	batchSize = 10_000
	pageSize  = 10_000
)

// The export formats.
const (
	formatCSV   = "csv"
	formatJSON  = "json"
	formatJSONL = "jsonl"
)

// Kind is the file channel kind.
var Kind = adapters.Kind{
	Name:    "file",
	Summary: "export file in, outbox file out, for channels without an API",
	Config:  configSpec,
	Open:    Open,
	Profile: adapters.Profile{
		Marketplace: "File",
		PricingPolicy: "A channel without an API: accord writes an outbox file that a person or another tool uploads, " +
			"so its prices answer to the rules of the marketplace behind it.",
	},
}

// configSpec is the schema of a file channel's config block.
var configSpec = hcldec.ObjectSpec{
	"export": &hcldec.AttrSpec{Name: "export", Type: cty.String, Required: true},
	"outbox": &hcldec.AttrSpec{Name: "outbox", Type: cty.String},
	"format": &hcldec.AttrSpec{Name: "format", Type: cty.String},
}

// channel is a file channel.
type channel struct {
	name     string
	currency string
	now      func() time.Time

	export     string // path of the export
	exportName string // the export as the spec names it, for messages
	format     string // formatCSV, formatJSON or formatJSONL

	outbox      string // path of the outbox
	outboxName  string // the outbox as the spec names it, for messages
	outboxJSONL bool   // JSON Lines rather than CSV

	limits adapters.Limits

	// mu orders appends to the outbox with reads of it.
	mu sync.Mutex
}

var _ adapters.Channel = (*channel)(nil)

// Open builds the adapter for a channel block. setup.Config is decoded with
// hcldec against the adapter's own schema, evaluated in setup.Eval; unknown
// attributes or bad values give an *adapters.ConfigError whose Diags point at
// the attribute. Open touches no file: the export may not exist yet.
func Open(_ context.Context, setup adapters.Setup) (adapters.Channel, error) {
	cfg, diags := decodeConfig(setup)
	if diags.HasErrors() {
		return nil, &adapters.ConfigError{Channel: setup.Name, Diags: diags}
	}
	now := setup.Now
	if now == nil {
		now = time.Now
	}
	return &channel{
		name:        setup.Name,
		currency:    setup.Currency,
		now:         now,
		export:      resolve(setup.SpecDir, cfg.export),
		exportName:  cfg.export,
		format:      cfg.format,
		outbox:      resolve(setup.SpecDir, cfg.outbox),
		outboxName:  cfg.outbox,
		outboxJSONL: cfg.outboxJSONL,
		limits: adapters.Limits{
			BatchSize: batchSize,
			PageSize:  pageSize,
		},
	}, nil
}

// config is a decoded config block.
type config struct {
	export      string
	outbox      string
	format      string
	outboxJSONL bool
}

func decodeConfig(setup adapters.Setup) (config, hcl.Diagnostics) {
	body := setup.Config
	if body == nil {
		return config{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing config block",
			Detail:   fmt.Sprintf("Channel %q is of type \"file\", which needs a config block with export, the file the marketplace exports its listings to.", setup.Name),
		}}
	}
	val, diags := hcldec.Decode(body, configSpec, setup.Eval)
	if diags.HasErrors() {
		return config{}, diags
	}
	errAt := func(attr, summary, detail string) {
		rng := hcldec.SourceRange(body, configSpec[attr])
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
	}
	str := func(attr string) (string, bool) {
		v := val.GetAttr(attr)
		if v.IsNull() {
			return "", false
		}
		if !v.IsKnown() {
			errAt(attr, "Value not known", fmt.Sprintf("The %s of a file channel must be known when the spec is loaded.", attr))
			return "", false
		}
		return v.AsString(), true
	}
	var cfg config
	if s, ok := str("export"); ok {
		if strings.TrimSpace(s) == "" {
			errAt("export", "Empty export path", "export names the file the marketplace exports its listings to; it cannot be empty.")
		}
		cfg.export = s
	}
	if s, ok := str("format"); ok {
		switch s {
		case formatCSV, formatJSON, formatJSONL:
			cfg.format = s
		default:
			errAt("format", "Unknown export format", fmt.Sprintf("format is %q; it must be \"csv\", \"json\" or \"jsonl\".", s))
		}
	} else if cfg.export != "" {
		if f, ok := formatOf(cfg.export); ok {
			cfg.format = f
		} else if !diags.HasErrors() {
			errAt("export", "Unknown export format", fmt.Sprintf("The format of %q cannot be told from its extension; name a .csv, .json or .jsonl file, or set format to \"csv\", \"json\" or \"jsonl\".", cfg.export))
		}
	}
	cfg.outbox = ".accord/outbox/" + setup.Name + ".csv"
	if s, ok := str("outbox"); ok {
		switch strings.ToLower(filepath.Ext(s)) {
		case ".csv":
		case ".jsonl":
			cfg.outboxJSONL = true
		default:
			errAt("outbox", "Unknown outbox format", fmt.Sprintf("outbox is %q; it must end in .csv (CSV) or .jsonl (JSON Lines).", s))
		}
		cfg.outbox = s
	}
	return cfg, diags
}

// formatOf tells an export's format from its extension.
func formatOf(path string) (string, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV, true
	case ".json":
		return formatJSON, true
	case ".jsonl", ".ndjson":
		return formatJSONL, true
	}
	return "", false
}

func resolve(dir, path string) string {
	path = filepath.FromSlash(path)
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// Limits are a file channel's limits: pages and batches of 10,000. A file
// channel has no rate limit (its budget is not used), no compare-and-set and
// creates no listings: it implements none of the optional capabilities.
func (c *channel) Limits() adapters.Limits { return c.limits }

// Observe reads the export, overlays the pending rows of the outbox (see the
// package documentation) and hands the listings to page in the export's
// order. A missing export lists nothing.
func (c *channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, mtime, err := readExport(c.export)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading export %s: %w", c.exportName, err)
	}
	src := source{name: c.exportName, format: c.format, channel: c.name, currency: c.currency}
	listings, err := parseExport(src, data)
	if err != nil {
		return err
	}
	if err := c.overlay(listings, mtime); err != nil {
		return err
	}
	if len(skus) > 0 {
		want := make(map[string]bool, len(skus))
		for _, s := range skus {
			want[s] = true
		}
		kept := listings[:0]
		for _, l := range listings {
			if want[l.SKU] {
				kept = append(kept, l)
			}
		}
		listings = kept
	}
	size := c.limits.PageSize
	for len(listings) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(size, len(listings))
		if err := page(listings[:n:n]); err != nil {
			return err
		}
		listings = listings[n:]
	}
	return nil
}

// readExport reads the export and the time it was last modified, both from
// one open file.
func readExport(path string) ([]byte, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close() //nolint:errcheck // read-only: Close cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, time.Time{}, err
	}
	return data, fi.ModTime(), nil
}
