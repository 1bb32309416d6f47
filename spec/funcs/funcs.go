// Package funcs is the function library of accord's spec language: go-cty's
// standard library under the names Terraform users know, plus env, file,
// csvdecode and jsondecode. It owns no state: the spec directory and the
// environment are handed in.
package funcs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// LookupEnv reads one environment variable, like os.LookupEnv.
type LookupEnv func(name string) (string, bool)

// Table returns the functions available to spec expressions. fsys is the
// spec directory, which file() reads; lookupEnv is what env() reads.
func Table(fsys fs.FS, lookupEnv LookupEnv) map[string]function.Function {
	return map[string]function.Function{
		// accord's own
		"env":  envFunc(lookupEnv),
		"file": fileFunc(fsys),

		// decoding
		"csvdecode":  stdlib.CSVDecodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,

		// numbers
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,

		// strings
		"chomp":         stdlib.ChompFunc,
		"format":        stdlib.FormatFunc,
		"formatlist":    stdlib.FormatListFunc,
		"indent":        stdlib.IndentFunc,
		"join":          stdlib.JoinFunc,
		"lower":         stdlib.LowerFunc,
		"upper":         stdlib.UpperFunc,
		"regex":         stdlib.RegexFunc,
		"regexall":      stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"replace":       stdlib.ReplaceFunc,
		"split":         stdlib.SplitFunc,
		"strlen":        stdlib.StrlenFunc,
		"strrev":        stdlib.ReverseFunc,
		"substr":        stdlib.SubstrFunc,
		"title":         stdlib.TitleFunc,
		"trim":          stdlib.TrimFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"trimspace":     stdlib.TrimSpaceFunc,

		// collections
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// time
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,

		// types and errors
		"tostring": stdlib.MakeToFunc(cty.String),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool":   stdlib.MakeToFunc(cty.Bool),
		"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try":      tryfunc.TryFunc,
		"can":      tryfunc.CanFunc,
	}
}

// envFunc is env(name) or env(name, default): the value of an environment
// variable. Without a default, an unset variable is an error, so that a
// missing credential is caught where it is used, not sent as "".
func envFunc(lookup LookupEnv) function.Function {
	return function.New(&function.Spec{
		Description: "The value of an environment variable, or the default when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
			return b.NotNull()
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, errors.New("env takes a name and at most one default")
			}
			name := args[0].AsString()
			if v, ok := lookup(name); ok {
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, fmt.Errorf("environment variable %s is not set", name)
		},
	})
}

// EnvUnknown is env as validate sees a channel's config block: a string
// not known until the adapter opens, so that checking the block's
// attribute names and types needs no credentials in the environment.
func EnvUnknown() function.Function {
	return function.New(&function.Spec{
		Description: "An environment variable, not read while validating.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return cty.UnknownVal(cty.String).RefineNotNull(), nil
		},
	})
}

// fileFunc is file(path): the contents of a UTF-8 file in the spec directory.
func fileFunc(fsys fs.FS) function.Function {
	return function.New(&function.Spec{
		Description: "The contents of a file in the spec directory, as a string.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name, err := CleanPath(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return cty.NilVal, fmt.Errorf("no file %s in the spec directory", name)
				}
				return cty.NilVal, fmt.Errorf("read %s: %w", name, err)
			}
			if !utf8.Valid(data) {
				return cty.NilVal, fmt.Errorf("%s is not UTF-8 text", name)
			}
			return cty.StringVal(string(data)), nil
		},
	})
}

// CleanPath turns a path written in a spec into a path inside the spec
// directory, or says why it cannot be one.
func CleanPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("the path is empty")
	}
	if path.IsAbs(p) || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':') {
		return "", fmt.Errorf("%s is absolute: data files are named relative to the spec directory", p)
	}
	clean := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	if !fs.ValidPath(clean) {
		return "", fmt.Errorf("%s leaves the spec directory: data files must live inside it", p)
	}
	return clean, nil
}
