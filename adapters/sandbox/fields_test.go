package sandbox

import (
	"reflect"
	"strings"
	"testing"

	"github.com/accordhq/accord/adapters"
)

func TestFieldDecoder(t *testing.T) {
	var fd fieldDecoder
	cases := []struct {
		in      string
		want    []adapters.Field
		wantErr string
	}{
		{in: `{}`},
		{in: `{"title":"Lamp","gtin":"0850"}`, want: []adapters.Field{{Name: "gtin", Value: "0850"}, {Name: "title", Value: "Lamp"}}},
		{in: `{"gtin":"0851","title":"Chair"}`, want: []adapters.Field{{Name: "gtin", Value: "0851"}, {Name: "title", Value: "Chair"}}},
		{in: `{"title":"Tab\tand \"quote\" \u00e9"}`, want: []adapters.Field{{Name: "title", Value: "Tab\tand \"quote\" é"}}},
		{in: ` { "a" : "" , "b":"x" } `, want: []adapters.Field{{Name: "a", Value: ""}, {Name: "b", Value: "x"}}},
		{in: `{"title":5}`, wantErr: "not a string"},
		{in: `[]`, wantErr: "not a JSON object"},
		{in: `{"a":"x"} {}`, wantErr: "trailing data"},
		{in: `{"a":"x","a":"y"}`, wantErr: "duplicate"},
		{in: `{"a":"x"`, wantErr: "EOF"},
	}
	// One decoder for every row, as a query uses it: a row must not see
	// the previous row's names or values.
	for _, c := range cases {
		got, err := fd.decode([]byte(c.in))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("decode(%s): error %v, want one containing %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("decode(%s): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("decode(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzFieldDecoder(f *testing.F) {
	f.Add(`{"title":"Lamp","gtin":"0850"}`)
	f.Add(`{"a":"\u00e9\n"}`)
	f.Fuzz(func(t *testing.T, in string) {
		var fd fieldDecoder
		fields, err := fd.decode([]byte(in))
		if err != nil {
			return
		}
		// What decodes encodes back to the same fields.
		enc, err := encodeFields(fields)
		if err != nil {
			t.Fatalf("encode %q: %v", fields, err)
		}
		again, err := fd.decode([]byte(enc))
		if err != nil {
			t.Fatalf("decode %s (from %s): %v", enc, in, err)
		}
		if len(fields) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(fields, again) {
			t.Fatalf("round trip of %s: %q, then %q", in, fields, again)
		}
	})
}
