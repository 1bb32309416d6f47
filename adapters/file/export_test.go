package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// exact compares decimals digit for digit: 0.10 is not 0.1 here.
var exact = cmp.Comparer(func(a, b decimal.Decimal) bool {
	return a.Exponent() == b.Exponent() && a.Coefficient().Cmp(b.Coefficient()) == 0
})

func dec(s string) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}

func qty(n int64) adapters.Quantity { return adapters.Quantity{Units: n, Valid: true} }

// listing is a listing of the channel "regional" in EUR.
func listing(sku string, q adapters.Quantity, price, compareAt decimal.NullDecimal, status string, fields ...string) adapters.Listing {
	l := adapters.Listing{
		Key:       adapters.Key{Channel: "regional", SKU: sku},
		Quantity:  q,
		Price:     price,
		CompareAt: compareAt,
		Currency:  "EUR",
		Status:    status,
	}
	for i := 0; i+1 < len(fields); i += 2 {
		l.Fields = append(l.Fields, adapters.Field{Name: fields[i], Value: fields[i+1]})
	}
	return l
}

var null decimal.NullDecimal

func src(name, format string) source {
	return source{name: name, format: format, channel: "regional", currency: "EUR"}
}

func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file, format string
		want         []adapters.Listing
	}{
		{"export.csv", formatCSV, []adapters.Listing{
			listing("RG-1", qty(12), dec("39.90"), dec("49.90"), "active", "description", "Light linen, cut slim", "gtin", "04006381333931", "title", "Linen shirt"),
			listing("RG-2", adapters.Quantity{}, dec("0.10"), null, "active", "title", "Canvas tote"),
			listing("RG-3", qty(0), dec("19.99"), null, "inactive", "description", "Two lines,\nof description", "title", "Wool scarf"),
		}},
		{"export.json", formatJSON, []adapters.Listing{
			listing("RG-1", qty(12), dec("39.90"), dec("49.90"), "active", "colors", "blue, white", "gtin", "04006381333931", "title", "Linen shirt"),
			listing("RG-2", adapters.Quantity{}, dec("0.10"), null, "active", "title", "Canvas tote"),
			listing("RG-3", qty(0), dec("19.99"), null, "inactive"),
		}},
		{"export.jsonl", formatJSONL, []adapters.Listing{
			listing("RG-1", qty(12), dec("39.90"), dec("49.90"), "active", "colors", "blue, white", "gtin", "04006381333931", "title", "Linen shirt"),
			listing("RG-2", adapters.Quantity{}, dec("0.10"), null, "active", "title", "Canvas tote"),
			listing("RG-3", qty(0), dec("19.99"), null, "inactive"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseExport(src(tt.file, tt.format), data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, exact); diff != "" {
				t.Errorf("listings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []adapters.Listing
		wantErr string
	}{
		{
			name: "fields sorted by name, whatever the column order",
			data: "title,sku,gtin,brand\nShirt,A,123,Acme\n",
			want: []adapters.Listing{listing("A", adapters.Quantity{}, null, null, "", "brand", "Acme", "gtin", "123", "title", "Shirt")},
		},
		{
			name: "empty cells are null",
			data: "sku,quantity,price,compare_at,status,title\nA,,,,,\nB, 4 , 2.50 ,  ,active,  \n",
			want: []adapters.Listing{
				listing("A", adapters.Quantity{}, null, null, ""),
				listing("B", qty(4), dec("2.50"), null, "active"),
			},
		},
		{
			name: "exact decimals",
			data: "sku,price,compare_at\nA,0.10,1.000\nB,12345678901234567.89,1e2\nC,.5,0\n",
			want: []adapters.Listing{
				listing("A", adapters.Quantity{}, dec("0.10"), dec("1.000"), ""),
				listing("B", adapters.Quantity{}, dec("12345678901234567.89"), dec("1e2"), ""),
				listing("C", adapters.Quantity{}, dec("0.5"), dec("0"), ""),
			},
		},
		{
			name: "byte-order mark, known columns in any case, CRLF",
			data: "\xef\xbb\xbfSKU,Quantity,Price,Title\r\nA,3,9.99,Mug\r\n",
			want: []adapters.Listing{listing("A", qty(3), dec("9.99"), null, "", "Title", "Mug")},
		},
		{
			name: "blank rows are skipped",
			data: "sku,quantity\nA,1\n,\n\nB,2\n",
			want: []adapters.Listing{listing("A", qty(1), null, null, ""), listing("B", qty(2), null, null, "")},
		},
		{
			name: "the channel's currency in any case",
			data: "sku,currency\nA,EUR\nB,eur\nC,\n",
			want: []adapters.Listing{listing("A", adapters.Quantity{}, null, null, ""), listing("B", adapters.Quantity{}, null, null, ""), listing("C", adapters.Quantity{}, null, null, "")},
		},
		{
			name: "negative quantity is what the marketplace says",
			data: "sku,quantity\nA,-2\n",
			want: []adapters.Listing{listing("A", qty(-2), null, null, "")},
		},
		{
			name: "header only",
			data: "sku,title\n",
			want: nil,
		},
		{
			name:    "price with a decimal comma",
			data:    "sku,quantity,price\nA,1,1.00\nB,2,\"12,99\"\n",
			wantErr: `e.csv:3: column "price": "12,99" is not a decimal amount`,
		},
		{
			name:    "column named as the header writes it",
			data:    "SKU,Compare_At\nA,x\n",
			wantErr: `e.csv:2: column "Compare_At": "x" is not a decimal amount`,
		},
		{
			name:    "negative price",
			data:    "sku,price\nA,-1.00\n",
			wantErr: `e.csv:2: column "price": "-1.00" is negative`,
		},
		{
			name:    "huge exponent",
			data:    "sku,price\nA,1e999999999\n",
			wantErr: `e.csv:2: column "price": "1e999999999" is not a decimal amount`,
		},
		{
			name:    "quantity not whole",
			data:    "sku,quantity\nA,1.5\n",
			wantErr: `e.csv:2: column "quantity": "1.5" is not a whole number`,
		},
		{
			name:    "other currency",
			data:    "sku,currency\nA,EUR\nB,USD\n",
			wantErr: `e.csv:3: column "currency": "USD" is not the channel's currency, EUR`,
		},
		{
			name:    "duplicate SKU names both lines",
			data:    "sku,quantity\nA,1\nB,2\nA,3\n",
			wantErr: `e.csv:4: SKU "A" is listed twice, on lines 2 and 4`,
		},
		{
			name:    "line of a row after a multi-line cell",
			data:    "sku,description,price\nA,\"one\ntwo\",1\nB,x,y\n",
			wantErr: `e.csv:4: column "price": "y" is not a decimal amount`,
		},
		{
			name:    "empty SKU",
			data:    "sku,title\n,Mug\n",
			wantErr: `e.csv:2: column "sku": empty; every row needs the channel's SKU`,
		},
		{
			name:    "no sku column",
			data:    "id,title\n1,Mug\n",
			wantErr: `e.csv:1: the header has no sku column (it has "id", "title")`,
		},
		{
			name:    "duplicate column",
			data:    "sku,title,Title,title\n",
			wantErr: `e.csv:1: column "title" appears twice in the header`,
		},
		{
			name:    "unnamed column",
			data:    "sku,,title\n",
			wantErr: `e.csv:1: column 2 of the header has no name`,
		},
		{
			name:    "wrong number of columns",
			data:    "sku,title\nA,Mug,extra\n",
			wantErr: `e.csv:2: 3 columns; the header has 2`,
		},
		{
			name:    "malformed CSV",
			data:    "sku,title\nA,Mu\"g\n",
			wantErr: `e.csv:2:5: bare " in non-quoted-field`,
		},
		{
			name:    "empty file",
			data:    "",
			wantErr: `e.csv: empty file; an export needs a header row with a sku column`,
		},
		{
			name: "every bad row is reported",
			data: "sku,quantity,price\nA,x,1\nB,1,y\n",
			wantErr: `e.csv:2: column "quantity": "x" is not a whole number
e.csv:3: column "price": "y" is not a decimal amount`,
		},
		{
			name:    "errors are capped",
			data:    "sku,quantity\nA,x\nB,x\nC,x\nD,x\nE,x\nF,x\nG,x\nH,x\nI,x\nJ,x\nK,x\nL,x\n",
			wantErr: "and 2 more errors",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExport(src("e.csv", formatCSV), []byte(tt.data))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func checkParse(t *testing.T, got []adapters.Listing, err error, want []adapters.Listing, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil {
			t.Fatalf("no error; want %q", wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error:\n%s\nwant it to contain:\n%s", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, exact); diff != "" {
		t.Errorf("listings (-want +got):\n%s", diff)
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []adapters.Listing
		wantErr string
	}{
		{
			name: "numbers are read exactly",
			data: `[{"sku":"A","price":19.99,"compare_at":0.10},{"sku":"B","price":12345678901234567.89,"compare_at":"0.10"},{"sku":"C","price":1E+2}]`,
			want: []adapters.Listing{
				listing("A", adapters.Quantity{}, dec("19.99"), dec("0.10"), ""),
				listing("B", adapters.Quantity{}, dec("12345678901234567.89"), dec("0.10"), ""),
				listing("C", adapters.Quantity{}, dec("1e2"), null, ""),
			},
		},
		{
			name: "nulls and empty strings",
			data: `[{"sku":"A","quantity":null,"price":null,"compare_at":"","status":null,"currency":null,"fields":null},
			        {"sku":"B","quantity":"7","fields":{"title":"","tags":[],"gtin":null}}]`,
			want: []adapters.Listing{listing("A", adapters.Quantity{}, null, null, ""), listing("B", qty(7), null, null, "")},
		},
		{
			name: "lists are sorted and joined",
			data: `[{"sku":"A","fields":{"tags":["red","blue","green"],"title":"Mug","brand":"Acme"}}]`,
			want: []adapters.Listing{listing("A", adapters.Quantity{}, null, null, "", "brand", "Acme", "tags", "blue, green, red", "title", "Mug")},
		},
		{
			name: "byte-order mark, escapes",
			data: "\xef\xbb\xbf[{\"sku\":\"A\\u002d1\",\"fields\":{\"title\":\"caf\\u00e9\"}}]",
			want: []adapters.Listing{listing("A-1", adapters.Quantity{}, null, null, "", "title", "café")},
		},
		{
			name: "empty array",
			data: " [ ] \n",
			want: nil,
		},
		{
			name:    "error names the line and item",
			data:    "[\n  {\"sku\": \"A\", \"price\": \"1.00\"},\n  {\"sku\": \"B\",\n   \"price\": \"12,99\"}\n]",
			wantErr: `e.json:4: item 2: key "price": "12,99" is not a decimal amount`,
		},
		{
			name:    "quantity not whole",
			data:    `[{"sku":"A","quantity":1.5}]`,
			wantErr: `e.json:1: item 1: key "quantity": 1.5 is not a whole number`,
		},
		{
			name:    "quantity of the wrong type",
			data:    `[{"sku":"A","quantity":true}]`,
			wantErr: `e.json:1: item 1: key "quantity": want a whole number, not a boolean`,
		},
		{
			name:    "other currency",
			data:    `[{"sku":"A","currency":"USD"}]`,
			wantErr: `e.json:1: item 1: key "currency": "USD" is not the channel's currency, EUR`,
		},
		{
			name:    "duplicate SKU",
			data:    "[\n{\"sku\":\"A\"},\n{\"sku\":\"B\"},\n{\"sku\":\"A\"}\n]",
			wantErr: `e.json:4: item 3: SKU "A" is listed twice, on lines 2 and 4 (items 1 and 3)`,
		},
		{
			name:    "unknown key",
			data:    "[{\"sku\":\"A\",\n\"title\":\"Mug\"}]",
			wantErr: `e.json:2: item 1: unknown key "title"; listing fields go in "fields"`,
		},
		{
			name:    "field of the wrong type",
			data:    "[{\"sku\":\"A\",\"fields\":{\n\"gtin\":400638133393}}]",
			wantErr: `e.json:2: item 1: field "gtin": want a string or a list of strings, not a number`,
		},
		{
			name:    "missing SKU",
			data:    `[{"price":"1.00"}]`,
			wantErr: `e.json:1: item 1: key "sku": missing or empty`,
		},
		{
			name:    "SKU not a string",
			data:    `[{"sku":12}]`,
			wantErr: `e.json:1: item 1: key "sku": want a string, not a number`,
		},
		{
			name:    "item not an object",
			data:    `[{"sku":"A"},"B"]`,
			wantErr: `e.json:1: item 2: a listing is an object, not a string`,
		},
		{
			name:    "not an array",
			data:    `{"sku":"A"}`,
			wantErr: `e.json:1: a JSON export is an array of listings, not an object`,
		},
		{
			name:    "duplicate key",
			data:    "[{\"sku\":\"A\",\n\"sku\":\"B\"}]",
			wantErr: `e.json:2: key "sku" appears twice`,
		},
		{
			name:    "malformed",
			data:    "[\n{\"sku\":\"A\"}\n{\"sku\":\"B\"}]",
			wantErr: `e.json:3: malformed JSON`,
		},
		{
			name:    "truncated",
			data:    "[\n{\"sku\":\"A\"},\n",
			wantErr: `e.json:3: the JSON ends too early`,
		},
		{
			name:    "trailing data",
			data:    "[]\n[]",
			wantErr: `e.json:2: more JSON after the array of listings`,
		},
		{
			name:    "empty file",
			data:    "",
			wantErr: `e.json: empty file`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExport(src("e.json", formatJSON), []byte(tt.data))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestParseJSONL(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []adapters.Listing
		wantErr string
	}{
		{
			name: "one object a line, blank lines skipped, CRLF",
			data: "{\"sku\":\"A\",\"quantity\":2,\"price\":19.99}\r\n\r\n{\"sku\":\"B\",\"compare_at\":\"0.10\",\"fields\":{\"colors\":[\"b\",\"a\"]}}",
			want: []adapters.Listing{
				listing("A", qty(2), dec("19.99"), null, ""),
				listing("B", adapters.Quantity{}, null, dec("0.10"), "", "colors", "a, b"),
			},
		},
		{
			name: "empty file",
			data: "",
			want: nil,
		},
		{
			name:    "error names the line",
			data:    "{\"sku\":\"A\"}\n\n{\"sku\":\"B\",\"price\":\"abc\"}\n",
			wantErr: `e.jsonl:3: key "price": "abc" is not a decimal amount`,
		},
		{
			name:    "duplicate SKU",
			data:    "{\"sku\":\"A\"}\n{\"sku\":\"A\"}\n",
			wantErr: `e.jsonl:2: SKU "A" is listed twice, on lines 1 and 2`,
		},
		{
			name:    "malformed line",
			data:    "{\"sku\":\"A\"}\n{\"sku\":\"B\",}\n",
			wantErr: `e.jsonl:2: malformed JSON`,
		},
		{
			name:    "two values on a line",
			data:    "{\"sku\":\"A\"} {\"sku\":\"B\"}\n",
			wantErr: `e.jsonl:1: unexpected text after the listing object`,
		},
		{
			name:    "an array is not a line of JSON Lines",
			data:    "[{\"sku\":\"A\"}]\n",
			wantErr: `e.jsonl:1: a listing is an object, not an array`,
		},
		{
			name:    "object across lines",
			data:    "{\"sku\":\n\"A\"}\n",
			wantErr: `e.jsonl:1: the JSON ends too early`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExport(src("e.jsonl", formatJSONL), []byte(tt.data))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}
