package apitest

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schemas are the JSON Schemas (the *.json files) of a directory of a
// file system, an embedded one as a rule, compiled with
// github.com/santhosh-tekuri/jsonschema/v6 at first use. A schema may
// refer to another of the directory by its file name.
type Schemas struct {
	fsys fs.FS
	dir  string
	// formats makes "format" an assertion, not an annotation.
	formats bool

	once    sync.Once
	err     error
	schemas map[string]*jsonschema.Schema // by file name
}

// NewSchemas are the schemas of the *.json files in dir of fsys.
func NewSchemas(fsys fs.FS, dir string) *Schemas {
	return &Schemas{fsys: fsys, dir: dir}
}

// AssertFormat makes the schemas' "format" keywords assertions.
func (s *Schemas) AssertFormat() *Schemas {
	s.formats = true
	return s
}

func (s *Schemas) load() error {
	s.once.Do(func() {
		entries, err := fs.ReadDir(s.fsys, s.dir)
		if err != nil {
			s.err = err
			return
		}
		c := jsonschema.NewCompiler()
		if s.formats {
			c.AssertFormat()
		}
		var names []string
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".json") {
				continue
			}
			raw, err := fs.ReadFile(s.fsys, path.Join(s.dir, name))
			if err != nil {
				s.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				s.err = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := c.AddResource("file:///"+name, doc); err != nil {
				s.err = err
				return
			}
			names = append(names, name)
		}
		s.schemas = map[string]*jsonschema.Schema{}
		for _, name := range names {
			sch, err := c.Compile("file:///" + name)
			if err != nil {
				s.err = fmt.Errorf("compiling %s: %w", name, err)
				return
			}
			s.schemas[name] = sch
		}
	})
	return s.err
}

// Has says whether there is a schema of the file name.
func (s *Schemas) Has(name string) (bool, error) {
	if err := s.load(); err != nil {
		return false, err
	}
	_, ok := s.schemas[name]
	return ok, nil
}

// Validate checks a JSON document against the schema of the file name.
func (s *Schemas) Validate(name string, body []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.ValidateValue(name, doc)
}

// ValidateValue checks a decoded JSON document (jsonschema.UnmarshalJSON's)
// against the schema of the file name.
func (s *Schemas) ValidateValue(name string, doc any) error {
	if err := s.load(); err != nil {
		return err
	}
	sch, ok := s.schemas[name]
	if !ok {
		return fmt.Errorf("no schema %s", name)
	}
	return sch.Validate(doc)
}
