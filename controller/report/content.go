package report

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Content is the listing content playbook: which fields are the same
// everywhere and which vary by channel, the titles that get cut, and the
// order in which a change is pushed.
type Content struct {
	Fields []FieldRow `json:"fields"`
	// Cuts counts, per channel and field, the values cut to a limit
	// (truncated) or over one (max_length), with examples.
	Cuts []Cut `json:"cuts"`
	// PushOrder is the apply's order, in words.
	PushOrder []string `json:"push_order"`
}

// FieldRow is one listing field.
type FieldRow struct {
	Field string `json:"field"`
	// Template is the field's expression at the top of the listing block.
	Template *string `json:"template"`
	// Same says every channel gets the same value; Shared that the values
	// must match across channels (the listing block's shared).
	Same     bool           `json:"same_everywhere"`
	Shared   bool           `json:"must_match"`
	Channels []FieldChannel `json:"channels"`
}

// FieldChannel is one channel's rule for a field.
type FieldChannel struct {
	Channel string `json:"channel"`
	// Template is the channel's own expression, nil when it takes the
	// top-level one.
	Template *string `json:"template"`
	// MaxLength is the limit that applies, and Truncate whether a longer
	// value is cut (else it is an error). MarketplaceLimit is what the
	// marketplace itself allows, for titles.
	MaxLength        *int `json:"max_length"`
	Truncate         bool `json:"truncate"`
	MarketplaceLimit *int `json:"marketplace_limit"`
}

// Cut is the values of one field cut or over a limit on one channel.
type Cut struct {
	Channel   string   `json:"channel"`
	Field     string   `json:"field"`
	Truncated int      `json:"truncated"`
	TooLong   int      `json:"too_long"`
	Examples  []string `json:"examples"`
}

func buildContent(s *spec.Spec, kinds Kinds, now *derive.Result) Content {
	ct := Content{Fields: []FieldRow{}, Cuts: []Cut{}, PushOrder: apply.Describe(s)}
	ls := s.Listing
	if ls == nil {
		return ct
	}
	names := map[string]bool{}
	top := map[string]spec.FieldRule{}
	for _, f := range ls.Fields {
		names[f.Name] = true
		top[f.Name] = f
	}
	for _, lc := range ls.PerChannel {
		for _, f := range lc.Fields {
			names[f.Name] = true
		}
	}
	for _, name := range sortedKeys(names) {
		row := FieldRow{Field: name, Shared: contains(ls.Shared, name), Same: true, Channels: []FieldChannel{}}
		if f, ok := top[name]; ok {
			row.Template = exprText(s, f.Expr)
			row.Same = !f.UsesChannel
		}
		for _, ch := range s.Channels {
			fc := FieldChannel{Channel: ch.Name, Truncate: ls.Truncate}
			lc := ls.PerChannel[ch.Name]
			if lc != nil {
				for _, f := range lc.Fields {
					if f.Name == name {
						fc.Template = exprText(s, f.Expr)
						row.Same = false
					}
				}
				if lc.Truncate != nil {
					fc.Truncate = *lc.Truncate
				}
			}
			if lim, ok := ls.MaxLength[name]; ok {
				n := lim.Chars
				fc.MaxLength = &n
			}
			if lc != nil {
				if lim, ok := lc.MaxLength[name]; ok {
					n := lim.Chars
					fc.MaxLength = &n
				}
			}
			if name == "title" {
				if kind, ok := kinds.Lookup(ch.Type); ok && kind.Profile.TitleLimit > 0 {
					n := kind.Profile.TitleLimit
					fc.MarketplaceLimit = &n
				}
			}
			row.Channels = append(row.Channels, fc)
		}
		// Channels cut to different lengths get different values.
		for _, fc := range row.Channels[min(1, len(row.Channels)):] {
			if !sameLimit(row.Channels[0].MaxLength, fc.MaxLength) {
				row.Same = false
			}
		}
		ct.Fields = append(ct.Fields, row)
	}
	cuts := map[[2]string]*Cut{}
	for _, f := range now.Findings {
		if f.Code != derive.CodeTruncated && f.Code != derive.CodeMaxLength {
			continue
		}
		k := [2]string{f.Channel, f.Field}
		c := cuts[k]
		if c == nil {
			c = &Cut{Channel: f.Channel, Field: f.Field, Examples: []string{}}
			cuts[k] = c
		}
		if f.Code == derive.CodeTruncated {
			c.Truncated++
		} else {
			c.TooLong++
		}
		if len(c.Examples) < 3 {
			c.Examples = append(c.Examples, f.SKU+": "+f.Message)
		}
	}
	for _, c := range cuts {
		ct.Cuts = append(ct.Cuts, *c)
	}
	sort.Slice(ct.Cuts, func(i, j int) bool {
		if ct.Cuts[i].Channel != ct.Cuts[j].Channel {
			return ct.Cuts[i].Channel < ct.Cuts[j].Channel
		}
		return ct.Cuts[i].Field < ct.Cuts[j].Field
	})
	return ct
}

func sameLimit(a, b *int) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// exprText is an expression as the spec writes it.
func exprText(s *spec.Spec, e hcl.Expression) *string {
	r := e.Range()
	src, ok := s.Sources[r.Filename]
	if !ok || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return nil
	}
	t := strings.TrimSpace(string(src[r.Start.Byte:r.End.Byte]))
	return &t
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
