package amazontest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The models in models/ are Amazon's, unmodified (from
// amzn/selling-partner-api-models, Apache-2.0, see the LICENSE and NOTICE
// there), embedded so that the fake serves them wherever it runs. The Swagger 2.0
// models' definitions are JSON Schema (draft 4 with x- extensions, which a
// validator ignores), so one validator serves them and the feed schemas
// (draft 7) alike: a body is validated against "<model>#/definitions/<Name>"
// with github.com/santhosh-tekuri/jsonschema/v6. kin-openapi's openapi2
// loader would add a second library, and its conversion to OpenAPI 3 for
// validation, to check what the definitions already say as JSON Schema.
// Parameters (path, query) are checked here from the same models: required,
// enum, maximum, maxItems, and that no parameter the operation lacks is sent.

//go:embed models
var modelFS embed.FS

const modelsDir = "models"

var models = struct {
	once     sync.Once
	err      error
	compiler *jsonschema.Compiler
	swagger  map[string]map[string]any // file -> document
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}{}

func loadModels() error {
	models.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		models.swagger = map[string]map[string]any{}
		models.schemas = map[string]*jsonschema.Schema{}
		files, err := fs.Glob(modelFS, path.Join(modelsDir, "*.json"))
		if err != nil {
			models.err = err
			return
		}
		for _, f := range files {
			raw, err := modelFS.ReadFile(f)
			if err != nil {
				models.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				models.err = fmt.Errorf("%s: %w", f, err)
				return
			}
			name := path.Base(f)
			if err := c.AddResource("file:///"+name, doc); err != nil {
				models.err = err
				return
			}
			if m, ok := doc.(map[string]any); ok && m["swagger"] != nil {
				models.swagger[name] = m
			}
		}
		models.compiler = c
	})
	return models.err
}

// schema compiles "<file>#<pointer>" once.
func schema(t testing.TB, ref string) *jsonschema.Schema {
	t.Helper()
	if err := loadModels(); err != nil {
		t.Fatal(err)
	}
	models.mu.Lock()
	defer models.mu.Unlock()
	if s, ok := models.schemas[ref]; ok {
		return s
	}
	s, err := models.compiler.Compile("file:///" + ref)
	if err != nil {
		t.Fatalf("compiling %s: %v", ref, err)
	}
	models.schemas[ref] = s
	return s
}

// validate checks a JSON document against "<file>#<pointer>".
func validate(t testing.TB, ref string, body []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema(t, ref).Validate(doc)
}

// operation is one operation of a Swagger model, found by method and path.
type operation struct {
	file, id string
	op       map[string]any
	params   []map[string]any
	pathVals map[string]string
}

// findOperation finds the operation of the models serving method and path.
func findOperation(t testing.TB, method, urlPath string) (*operation, error) {
	t.Helper()
	if err := loadModels(); err != nil {
		t.Fatal(err)
	}
	files := make([]string, 0, len(models.swagger))
	for f := range models.swagger {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, file := range files {
		paths, _ := models.swagger[file]["paths"].(map[string]any)
		for tmpl, v := range paths {
			var names []string
			parts := strings.Split(tmpl, "/")
			for i, part := range parts {
				if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
					names = append(names, strings.Trim(part, "{}"))
					parts[i] = "([^/]+)"
				} else {
					parts[i] = regexp.QuoteMeta(part)
				}
			}
			re := strings.Join(parts, "/")
			m := regexp.MustCompile("^" + re + "$").FindStringSubmatch(urlPath)
			if m == nil {
				continue
			}
			ops, _ := v.(map[string]any)
			op, ok := ops[strings.ToLower(method)].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s %s: the model %s has no %s on %s", method, urlPath, file, method, tmpl)
			}
			o := &operation{file: file, op: op, pathVals: map[string]string{}}
			o.id, _ = op["operationId"].(string)
			for i, n := range names {
				o.pathVals[n] = m[i+1]
			}
			for _, ps := range [][]any{toSlice(ops["parameters"]), toSlice(op["parameters"])} {
				for _, p := range ps {
					pm, _ := p.(map[string]any)
					if ref, ok := pm["$ref"].(string); ok {
						pm = resolve(models.swagger[file], ref)
					}
					o.params = append(o.params, pm)
				}
			}
			return o, nil
		}
	}
	return nil, fmt.Errorf("%s %s: no operation of the models has this path", method, urlPath)
}

func toSlice(v any) []any { s, _ := v.([]any); return s }

func resolve(doc map[string]any, ref string) map[string]any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]any)
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}

// checkRequest holds a request to its operation in the models: its
// parameters, and its body against the body parameter's schema. It
// returns the operation's ID.
func checkRequest(t testing.TB, r *http.Request, body []byte) (string, error) {
	t.Helper()
	o, err := findOperation(t, r.Method, r.URL.EscapedPath())
	if err != nil {
		return "", err
	}
	q := r.URL.Query()
	known := map[string]bool{}
	var errs []string
	for _, p := range o.params {
		name, _ := p["name"].(string)
		in, _ := p["in"].(string)
		required, _ := p["required"].(bool)
		switch in {
		case "query":
			known[name] = true
			vals, present := q[name]
			if !present {
				if required {
					errs = append(errs, "missing required query parameter "+name)
				}
				continue
			}
			if len(vals) != 1 {
				errs = append(errs, name+" sent more than once (the model's collectionFormat is csv)")
				continue
			}
			errs = append(errs, checkParam(p, vals[0])...)
		case "path":
			if required && o.pathVals[name] == "" {
				errs = append(errs, "empty path parameter "+name)
			}
		case "body":
			if len(body) == 0 {
				if required {
					errs = append(errs, "missing the required body")
				}
				continue
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				errs = append(errs, "body sent as "+ct+", the model consumes application/json")
			}
			ref, _ := p["schema"].(map[string]any)["$ref"].(string)
			if err := validate(t, o.file+ref, body); err != nil {
				errs = append(errs, fmt.Sprintf("body does not validate against %s: %v", ref, err))
			}
		}
	}
	for name := range q {
		if !known[name] {
			errs = append(errs, "query parameter "+name+" is not one of the operation's")
		}
	}
	if len(errs) > 0 {
		return o.id, fmt.Errorf("%s %s: %s", o.id, r.URL, strings.Join(errs, "; "))
	}
	return o.id, nil
}

func checkParam(p map[string]any, val string) []string {
	name, _ := p["name"].(string)
	var errs []string
	switch p["type"] {
	case "array":
		items := strings.Split(val, ",")
		if mx, ok := p["maxItems"].(float64); ok && len(items) > int(mx) {
			errs = append(errs, fmt.Sprintf("%s has %d items, at most %v", name, len(items), mx))
		}
		it, _ := p["items"].(map[string]any)
		if enum := toSlice(it["enum"]); enum != nil {
			for _, v := range items {
				if !slices.Contains(enum, any(v)) {
					errs = append(errs, fmt.Sprintf("%s: %q is not one of %v", name, v, enum))
				}
			}
		}
	case "integer":
		n, err := strconv.Atoi(val)
		if err != nil {
			errs = append(errs, name+" is not an integer")
		} else if mx, ok := p["maximum"].(float64); ok && float64(n) > mx {
			errs = append(errs, fmt.Sprintf("%s %d is over the maximum %v", name, n, mx))
		}
	default:
		if enum := toSlice(p["enum"]); enum != nil && !slices.Contains(enum, any(val)) {
			errs = append(errs, fmt.Sprintf("%s: %q is not one of %v", name, val, enum))
		}
	}
	return errs
}

// responseRef is the schema of an operation's answer with the given code.
func responseRef(t testing.TB, method, urlPath string, code int) string {
	t.Helper()
	o, err := findOperation(t, method, urlPath)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := o.op["responses"].(map[string]any)[strconv.Itoa(code)].(map[string]any)
	if resp == nil {
		t.Fatalf("%s answers no %d in %s", o.id, code, o.file)
	}
	ref, _ := resp["schema"].(map[string]any)["$ref"].(string)
	if ref == "" {
		return ""
	}
	return o.file + ref
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
