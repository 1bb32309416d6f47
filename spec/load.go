package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec/funcs"
)

// Kinds is what the loader needs of the registry: the channel kinds (whose
// config schemas check config blocks) and the stock-source kinds.
type Kinds interface {
	Lookup(name string) (adapters.Kind, bool)
	Names() []string
	LookupStock(name string) (adapters.StockKind, bool)
	StockNames() []string
}

// Options configures Load.
type Options struct {
	// Dir is the spec directory as the user named it. File names in
	// diagnostics are Dir joined with the file's name.
	Dir string
	// Types is the registry of channel kinds that `type` is checked against.
	Types Kinds
	// Vars are values given with --var NAME=VALUE.
	Vars map[string]string
	// LookupEnv reads the environment: ACCORD_VAR_NAME overrides and env().
	// Nil means an empty environment.
	LookupEnv funcs.LookupEnv
	// Campaigns holds the local copies of imported campaigns, by commit
	// (.accord/campaigns in the spec directory on disk; accord campaigns
	// get fills it). Nil: a spec that imports a campaign fails to load.
	Campaigns fs.FS
}

// LoadDir loads the spec in a directory of the file system.
func LoadDir(dir string, opts Options) (*Spec, hcl.Diagnostics) {
	if opts.Dir == "" {
		opts.Dir = dir
	}
	if diags := CheckDir(dir); diags.HasErrors() {
		return nil, diags
	}
	return Load(os.DirFS(dir), opts)
}

// CheckDir reports a spec directory that does not exist, as every command
// that takes --dir words it.
func CheckDir(dir string) hcl.Diagnostics {
	if info, err := os.Stat(dir); err == nil && info.IsDir() {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Spec directory not found",
		Detail:   fmt.Sprintf("%s is not a directory: accord reads every *.hcl file in the spec directory given with --dir.", dir),
	}}
}

// topSchema is every block the spec language has at the top level.
var topSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "settings"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "channel", LabelNames: []string{"name"}},
		{Type: "catalog"},
		{Type: "product", LabelNames: []string{"sku"}},
		{Type: "stock_source", LabelNames: []string{"name"}},
		{Type: "pool", LabelNames: []string{"name"}},
		{Type: "price_matrix", LabelNames: []string{"name"}},
		{Type: "campaign", LabelNames: []string{"name"}},
		{Type: "promotion", LabelNames: []string{"name"}},
		{Type: "parity", LabelNames: []string{"name"}},
		{Type: "listing"},
		{Type: "drift"},
		{Type: "guard"},
		{Type: "notify", LabelNames: []string{"name"}},
	},
}

// Load reads every *.hcl file at the top of fsys (not recursively) and the
// data files they name, and returns the resolved spec with every diagnostic
// found. The spec holds everything that decoded cleanly, so that later
// checks still run and a single load reports as many mistakes as it can.
// When the files have syntax errors, nothing is decoded and the spec holds
// only the sources read (for the snippets); it is nil only when the
// directory could not be read at all.
func Load(fsys fs.FS, opts Options) (*Spec, hcl.Diagnostics) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	l := &loader{
		fsys: fsys,
		opts: opts,
		spec: &Spec{
			Dir:        opts.Dir,
			Sources:    map[string][]byte{},
			Files:      map[string]string{},
			channelIdx: map[string]int{},
			productIdx: map[string]int{},
			sourceIdx:  map[string]*StockSource{},
		},
	}
	files := l.parse()
	if files == nil && len(l.spec.Sources) == 0 {
		return nil, l.diags
	}
	if files == nil || l.diags.HasErrors() {
		l.spec.Settings = Settings{Currency: "USD", CurrencyScale: 2, Timezone: time.UTC}
		return l.spec, l.diags
	}
	blocks := map[string][]*hcl.Block{}
	for _, f := range files {
		content, diags := f.Body.Content(topSchema)
		l.diags = append(l.diags, diags...)
		for _, b := range content.Blocks {
			blocks[b.Type] = append(blocks[b.Type], b)
		}
	}

	// The order follows what each step may refer to: variables and the
	// catalog first, then locals (which may read products), then the blocks
	// that refer to channels, SKUs and one another.
	l.decodeVariables(blocks["variable"])
	l.decodeSettings(single(l, blocks["settings"]))
	l.decodeCatalog(blocks["catalog"], blocks["product"])
	l.decodeLocals(blocks["locals"])
	l.decodeChannels(blocks["channel"], single(l, blocks["drift"]))
	l.decodeStockSources(blocks["stock_source"])
	l.decodeCampaigns(blocks["campaign"])
	l.decodePools(blocks["pool"])
	l.decodeMatrices(blocks["price_matrix"])
	l.decodePromotions(blocks["promotion"])
	l.decodeParities(blocks["parity"])
	l.decodeListing(single(l, blocks["listing"]))
	l.decodeGuard(single(l, blocks["guard"]))
	l.decodeNotify(blocks["notify"])
	l.spec.Eval = l.ctx
	return l.spec, l.diags
}

// loader carries one Load.
type loader struct {
	fsys  fs.FS
	opts  Options
	spec  *Spec
	diags hcl.Diagnostics
	ctx   *hcl.EvalContext

	// brokenSKUs are SKUs the catalog names but could not load; references
	// to them are not reported again as unknown.
	brokenSKUs map[string]bool
	// declaredChannels holds every channel name declared, even one whose
	// block failed to decode.
	declaredChannels map[string]bool
	// declaredCampaigns holds every campaign name imported, even one that
	// failed to load; a promotion joining it is not reported again.
	declaredCampaigns map[string]bool
	// productsBuilt reports that `products` is in the evaluation context.
	productsBuilt bool
}

// displayName is the name a file of the spec directory has in diagnostics.
func (l *loader) displayName(name string) string {
	if l.opts.Dir == "" || l.opts.Dir == "." {
		return name
	}
	return filepath.Join(l.opts.Dir, filepath.FromSlash(name))
}

func (l *loader) parse() []*hcl.File {
	entries, err := fs.ReadDir(l.fsys, ".")
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the spec directory",
			Detail:   fmt.Sprintf("Reading %s: %s.", l.opts.Dir, errors.Unwrap(err)),
		})
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") && e.Name() != LockFile {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No spec files",
			Detail:   fmt.Sprintf("%s holds no *.hcl files. A spec is a directory of .hcl files; point --dir at one.", l.dirName()),
		})
		return nil
	}
	var files []*hcl.File
	for _, name := range names {
		src, err := fs.ReadFile(l.fsys, name)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read a spec file",
				Detail:   fmt.Sprintf("Reading %s: %v.", l.displayName(name), err),
			})
			continue
		}
		display := l.displayName(name)
		l.addSource(display, name, src)
		f, diags := hclsyntax.ParseConfig(src, display, hcl.InitialPos)
		l.diags = append(l.diags, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	return files
}

// addSource keeps a file read for its snippets (by its display name) and
// for the spec's revision (by its path relative to the spec directory, so
// that the revision does not depend on how the directory was named).
func (l *loader) addSource(display, rel string, data []byte) {
	l.spec.Sources[display] = data
	l.spec.Files[display] = path.Clean(filepath.ToSlash(rel))
}

func (l *loader) dirName() string {
	if l.opts.Dir == "" {
		return "the spec directory"
	}
	return l.opts.Dir
}

// single returns the only block of a kind, reporting every further one.
func single(l *loader, blocks []*hcl.Block) *hcl.Block {
	if len(blocks) == 0 {
		return nil
	}
	for _, b := range blocks[1:] {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
			Detail:   fmt.Sprintf("A spec has at most one %s block; the first is at %s. Merge the two.", b.Type, rangeLine(blocks[0].DefRange)),
			Subject:  b.DefRange.Ptr(),
		})
	}
	return blocks[0]
}

// rangeLine writes a range as file:line.
func rangeLine(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// baseContext is the evaluation context before locals exist: functions and var.
func (l *loader) baseContext(vars map[string]cty.Value) {
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: funcs.Table(l.fsys, l.opts.LookupEnv),
	}
}
