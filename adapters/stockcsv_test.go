package adapters

import (
	"strings"
	"testing"
)

func TestReadStockCSV(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		want     map[string]int64
		wantDiag string
	}{
		{"plain", "sku,on_hand\nA,3\nB,0\n", map[string]int64{"A": 3, "B": 0}, ""},
		{"header in any case and order, byte-order mark", "\xef\xbb\xbfOn_Hand,SKU\n5,A\n", map[string]int64{"A": 5}, ""},
		{"locations are summed", "sku,location,on_hand\nA,east,3\nA,west,4\nB,east,-1\n", map[string]int64{"A": 7, "B": -1}, ""},
		{"blank rows are skipped", "sku,on_hand\nA,1\n,\n\nB,2\n", map[string]int64{"A": 1, "B": 2}, ""},
		{"duplicate without location", "sku,on_hand\nA,1\nA,2\n", map[string]int64{"A": 1}, "A appears on lines 2 and 3"},
		{"not a whole number", "sku,on_hand\nA,1.5\nB,2\n", map[string]int64{"B": 2}, `on_hand of A is "1.5"`},
		{"missing column", "sku,qty\nA,1\n", nil, "needs the columns sku and on_hand"},
		{"missing SKU", "sku,on_hand\n,4\n", map[string]int64{}, "Line 2 of s.csv has no sku"},
		{"empty file", "", nil, "has no header row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := ReadStockCSV("s.csv", []byte(tt.data))
			if tt.wantDiag == "" && len(diags) > 0 {
				t.Fatalf("unexpected diagnostics: %s", diags.Error())
			}
			if tt.wantDiag != "" && !strings.Contains(diags.Error(), tt.wantDiag) {
				t.Fatalf("diagnostics %q do not contain %q", diags.Error(), tt.wantDiag)
			}
			if tt.want == nil {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for sku, n := range tt.want {
				if got[sku] != n {
					t.Errorf("%s = %d, want %d", sku, got[sku], n)
				}
			}
		})
	}
}

func FuzzReadStockCSV(f *testing.F) {
	f.Add("sku,on_hand\nA,3\n")
	f.Add("sku,location,on_hand\nA,x,1\nA,y,99999999999999999999\n")
	f.Add("on_hand,sku\n\"1\n")
	f.Fuzz(func(t *testing.T, data string) {
		_, diags := ReadStockCSV("s.csv", []byte(data))
		for _, d := range diags {
			if d.Subject != nil && (d.Subject.Start.Line < 1 || d.Subject.Start.Byte < 0 || d.Subject.Start.Byte > len(data)+1) {
				t.Errorf("diagnostic %q points outside the file: %+v", d.Summary, d.Subject)
			}
		}
	})
}
