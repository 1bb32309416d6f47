package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accordhq/accord/adapters"
)

// observe collects every page of an Observe call.
func observe(t *testing.T, c *channel, skus ...string) (pages [][]adapters.Listing, all []adapters.Listing) {
	t.Helper()
	err := c.Observe(context.Background(), skus, func(p []adapters.Listing) error {
		pages = append(pages, p)
		all = append(all, p...)
		return nil
	})
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return pages, all
}

func writeFile(t *testing.T, path, data string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimits(t *testing.T) {
	c := open(t, t.TempDir(), `export = "e.csv"`)
	want := adapters.Limits{BatchSize: 10_000, PageSize: 10_000}
	if got := c.Limits(); got != want {
		t.Errorf("Limits() = %+v; want %+v", got, want)
	}
}

func TestObservePages(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("sku,quantity\n")
	for i := range 7 {
		fmt.Fprintf(&b, "S%d,%d\n", i, i)
	}
	writeFile(t, filepath.Join(dir, "e.csv"), b.String(), time.Time{})
	tests := []struct {
		name      string
		pageSize  int
		skus      []string
		wantSizes []int
		wantSKUs  string
	}{
		{"one page", 10_000, nil, []int{7}, "S0 S1 S2 S3 S4 S5 S6"},
		{"pages of three", 3, nil, []int{3, 3, 1}, "S0 S1 S2 S3 S4 S5 S6"},
		{"exact pages", 7, nil, []int{7}, "S0 S1 S2 S3 S4 S5 S6"},
		{"pages of one", 1, nil, []int{1, 1, 1, 1, 1, 1, 1}, "S0 S1 S2 S3 S4 S5 S6"},
		{"only the SKUs asked for, in the export's order", 2, []string{"S5", "S1", "nope", "S3", "S1"}, []int{2, 1}, "S1 S3 S5"},
		{"SKUs the channel does not list", 2, []string{"nope"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := open(t, dir, `export = "e.csv"`)
			c.limits.PageSize = tt.pageSize
			pages, all := observe(t, c, tt.skus...)
			var sizes []int
			for _, p := range pages {
				sizes = append(sizes, len(p))
			}
			if diff := cmp.Diff(tt.wantSizes, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			var skus []string
			for _, l := range all {
				skus = append(skus, l.SKU)
			}
			if got := strings.Join(skus, " "); got != tt.wantSKUs {
				t.Errorf("SKUs %q; want %q", got, tt.wantSKUs)
			}
		})
	}
}

func TestObserveStopsOnPageError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "e.csv"), "sku\nA\nB\nC\n", time.Time{})
	c := open(t, dir, `export = "e.csv"`)
	c.limits.PageSize = 1
	stop := errors.New("stop")
	calls := 0
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Observe returned %v after %d pages; want stop after 1", err, calls)
	}
}

func TestObserveReadsAfresh(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.csv")
	c := open(t, dir, `export = "e.csv"`)
	if pages, _ := observe(t, c); len(pages) != 0 {
		t.Fatalf("a missing export listed %v", pages)
	}
	writeFile(t, path, "sku,quantity\nA,1\n", time.Time{})
	if _, all := observe(t, c); len(all) != 1 || all[0].Quantity != qty(1) {
		t.Fatalf("got %v; want A with 1", all)
	}
	writeFile(t, path, "sku,quantity\nA,5\nB,2\n", time.Time{})
	if _, all := observe(t, c); len(all) != 2 || all[0].Quantity != qty(5) {
		t.Fatalf("got %v; want A with 5 and B", all)
	}
}

func TestObserveErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "adir.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := open(t, dir, `export = "adir.csv"`)
	err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "reading export adir.csv: ") {
		t.Errorf("error %v; want a wrapped read error", err)
	}

	writeFile(t, filepath.Join(dir, "bad.csv"), "sku,price\nA,1\nB,\"12,99\"\n", time.Time{})
	c = open(t, dir, `export = "bad.csv"`)
	err = c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	if want := `bad.csv:3: column "price": "12,99" is not a decimal amount`; err == nil || err.Error() != want {
		t.Errorf("error %v; want %s", err, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	writeFile(t, filepath.Join(dir, "e.csv"), "sku\nA\n", time.Time{})
	c = open(t, dir, `export = "e.csv"`)
	if err := c.Observe(ctx, nil, func([]adapters.Listing) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v; want context.Canceled", err)
	}
}

// changes is a batch touching every kind of field, a null and a listing.
func changes() []adapters.Change {
	key := func(sku string) adapters.Key { return adapters.Key{Channel: "regional", SKU: sku} }
	return []adapters.Change{
		{Key: key("RG-1"), Kind: adapters.KindQuantity, From: adapters.Units(12), To: adapters.Units(9)},
		{Key: key("RG-1"), Kind: adapters.KindPrice, From: adapters.Text("39.90"), To: adapters.Text("41.50")},
		{Key: key("RG-2"), Kind: adapters.KindCompareAt, From: adapters.Text("1.00"), To: adapters.Null},
		{Key: key("RG-9"), Kind: adapters.KindCreate, Listing: &adapters.Listing{Key: key("RG-9")}},
		{Key: key("RG-2"), Kind: adapters.KindField, Field: "title", From: adapters.Text("Canvas tote"), To: adapters.Text(`Canvas tote, "natural", 10 l`)},
		{Key: key("RG-3"), Kind: adapters.KindField, Field: "description", From: adapters.Text("old"), To: adapters.Null},
	}
}

func checkResults(t *testing.T, results []adapters.Result, n int) {
	t.Helper()
	if len(results) != n {
		t.Fatalf("%d results for %d changes", len(results), n)
	}
	for i, r := range results {
		var rej *adapters.RejectedError
		switch {
		case i == 3:
			if !errors.As(r.Err, &rej) || rej.Reason != "a file channel cannot create listings; add the SKU to the marketplace's catalogue" {
				t.Errorf("result %d: %v; want the listing rejected", i, r.Err)
			}
		case r.Err != nil:
			t.Errorf("result %d: %v", i, r.Err)
		}
	}
}

func TestApplyGolden(t *testing.T) {
	for _, outbox := range []string{"outbox.csv", "outbox.jsonl"} {
		t.Run(outbox, func(t *testing.T) {
			dir := t.TempDir()
			c := open(t, dir, `export = "e.csv"`+"\n"+`outbox = "sub/dir/`+outbox+`"`)
			checkResults(t, c.Apply(context.Background(), changes()), 6)
			// A second batch is appended after the first, without a header.
			c.now = func() time.Time { return fixedNow.Add(90 * time.Minute).In(time.FixedZone("CET", 3600)) }
			second := []adapters.Change{{Key: adapters.Key{Channel: "regional", SKU: "RG-1"}, Kind: adapters.KindQuantity, To: adapters.Units(0)}}
			if r := c.Apply(context.Background(), second); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
			got, err := os.ReadFile(filepath.Join(dir, "sub", "dir", outbox))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "apply.golden"+filepath.Ext(outbox)), got)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv("ACCORD_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with ACCORD_UPDATE_GOLDEN=1 to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestApplyAppendsToHandEditedOutbox(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "o.csv"), "sku,field,value,queued_at\nA,title,x,2025-01-01T00:00:00Z", time.Time{})
	c := open(t, dir, `export = "e.csv"`+"\n"+`outbox = "o.csv"`)
	if r := c.Apply(context.Background(), changes()[:1]); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "o.csv"))
	want := "sku,field,value,queued_at\nA,title,x,2025-01-01T00:00:00Z\nRG-1,quantity,9,2025-03-14T09:26:53.589793238Z\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}

func TestApplyRejects(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, `export = "e.csv"`)
	key := adapters.Key{Channel: "regional", SKU: "A"}
	batch := []adapters.Change{
		{Key: key, Kind: adapters.KindCreate, Listing: &adapters.Listing{Key: key}},
		{Key: key, Kind: adapters.KindQuantity, To: adapters.Value{Text: "1.5", Set: true}},
		{Key: key, Kind: adapters.KindPrice, To: adapters.Value{Text: "12,99", Set: true}},
		{Key: adapters.Key{Channel: "regional"}, Kind: adapters.KindField, Field: "title", To: adapters.Text("x")},
	}
	results := c.Apply(context.Background(), batch)
	for i, r := range results {
		var rej *adapters.RejectedError
		if !errors.As(r.Err, &rej) {
			t.Errorf("result %d: %v; want a RejectedError", i, r.Err)
		}
	}
	if _, err := os.Stat(c.outbox); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an outbox was written for rejected changes only: %v", err)
	}

	c.limits.BatchSize = 2
	for i, r := range c.Apply(context.Background(), changes()) {
		if r.Err == nil {
			t.Errorf("result %d of an oversized batch succeeded", i)
		}
	}
}

func TestApplyWriteFails(t *testing.T) {
	dir := t.TempDir()
	// The outbox's directory would have to be where a file is.
	writeFile(t, filepath.Join(dir, "blocker"), "", time.Time{})
	c := open(t, dir, `export = "e.csv"`+"\n"+`outbox = "blocker/o.csv"`)
	results := c.Apply(context.Background(), changes())
	for i, r := range results {
		var tmp *adapters.TemporaryError
		var rej *adapters.RejectedError
		switch {
		case i == 3:
			if !errors.As(r.Err, &rej) {
				t.Errorf("result %d: %v; want the listing rejected", i, r.Err)
			}
		case !errors.As(r.Err, &tmp) || !strings.Contains(tmp.Message, "writing outbox blocker/o.csv") || tmp.Timeout:
			t.Errorf("result %d: %v; want the write's error", i, r.Err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i, r := range c.Apply(ctx, changes()) {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("result %d: %v; want context.Canceled", i, r.Err)
		}
	}
}

// TestOverlay applies changes and observes the channel with the export last
// written before and after them.
func TestOverlay(t *testing.T) {
	const export = "sku,quantity,price,compare_at,title,description\n" +
		"RG-1,12,39.90,,Linen shirt,\n" +
		"RG-2,3,9.00,1.00,Canvas tote,\n" +
		"RG-3,0,19.99,,Wool scarf,old\n"
	fromExport := []adapters.Listing{
		listing("RG-1", qty(12), dec("39.90"), null, "", "title", "Linen shirt"),
		listing("RG-2", qty(3), dec("9.00"), dec("1.00"), "", "title", "Canvas tote"),
		listing("RG-3", qty(0), dec("19.99"), null, "", "description", "old", "title", "Wool scarf"),
	}
	withOutbox := []adapters.Listing{
		listing("RG-1", qty(9), dec("41.50"), null, "", "title", "Linen shirt"),
		listing("RG-2", qty(3), dec("9.00"), null, "", "title", `Canvas tote, "natural", 10 l`),
		listing("RG-3", qty(0), dec("19.99"), null, "", "title", "Wool scarf"),
	}
	for _, outbox := range []string{"o.csv", "o.jsonl"} {
		t.Run(outbox, func(t *testing.T) {
			tests := []struct {
				name  string
				mtime time.Time
				want  []adapters.Listing
				skus  []string
			}{
				{"outbox queued after the export wins", fixedNow.Add(-time.Hour), withOutbox, nil},
				{"export written after the outbox is the truth", fixedNow.Add(time.Minute), fromExport, nil},
				{"overlay with a SKU filter", fixedNow.Add(-time.Second), withOutbox[1:2], []string{"RG-2"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dir := t.TempDir()
					c := open(t, dir, `export = "e.csv"`+"\n"+`outbox = "`+outbox+`"`)
					checkResults(t, c.Apply(context.Background(), changes()), 6)
					writeFile(t, filepath.Join(dir, "e.csv"), export, tt.mtime)
					_, got := observe(t, c, tt.skus...)
					if diff := cmp.Diff(tt.want, got, exact); diff != "" {
						t.Errorf("listings (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// TestOverlayBoundary pins the rule at the instant itself, which file
// systems with coarse modification times cannot show: a row queued at the
// export's modification time is delivered.
func TestOverlayBoundary(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, `export = "e.csv"`)
	checkResults(t, c.Apply(context.Background(), changes()[:1]), 1)
	for _, tt := range []struct {
		exported time.Time
		want     adapters.Quantity
	}{
		{fixedNow, qty(12)},
		{fixedNow.Add(-time.Nanosecond), qty(9)},
	} {
		listings := []adapters.Listing{listing("RG-1", qty(12), null, null, "")}
		if err := c.overlay(listings, tt.exported); err != nil {
			t.Fatal(err)
		}
		if listings[0].Quantity != tt.want {
			t.Errorf("export modified at %s: quantity %v; want %v", tt.exported.Format(queuedLayout), listings[0].Quantity, tt.want)
		}
	}
}

func TestOverlayLatestRowWins(t *testing.T) {
	dir := t.TempDir()
	exported := fixedNow.Add(-time.Hour)
	writeFile(t, filepath.Join(dir, "e.csv"), "sku,quantity,title\nA,5,Mug\n", exported)
	// Rows appended out of order (a clock set back): the later queued_at wins.
	writeFile(t, filepath.Join(dir, "o.csv"), "sku,field,value,queued_at\n"+
		"A,quantity,7,2025-03-14T09:00:00.000000002Z\n"+
		"A,quantity,8,2025-03-14T09:00:00.000000001Z\n"+
		"A,title,Cup,2025-03-14T09:00:00Z\n"+
		"A,title,Big cup,2025-03-14T09:00:00Z\n"+
		"A,price,3.10,2025-03-14T07:00:00Z\n"+ // delivered: before the export
		"B,quantity,1,2025-03-14T09:00:00Z\n", // not in the export: not created
		time.Time{})
	c := open(t, dir, `export = "e.csv"`+"\n"+`outbox = "o.csv"`)
	_, got := observe(t, c)
	want := []adapters.Listing{listing("A", qty(7), null, null, "", "title", "Big cup")}
	if diff := cmp.Diff(want, got, exact); diff != "" {
		t.Errorf("listings (-want +got):\n%s", diff)
	}
}

func TestOverlayBadOutbox(t *testing.T) {
	tests := []struct {
		name, outbox, data, wantErr string
	}{
		{"bad time", "o.csv", "sku,field,value,queued_at\nA,title,x,yesterday\n", `o.csv:2: column "queued_at": "yesterday" is not an RFC 3339 time`},
		{"bad quantity", "o.csv", "sku,field,value,queued_at\nA,quantity,x,2030-01-01T00:00:00Z\n", `o.csv:2: quantity "x" is not a whole number`},
		{"no header", "o.csv", "A,title,x,2030-01-01T00:00:00Z\n", `o.csv:1: the header has no sku column`},
		{"bad JSON", "o.jsonl", "{\"sku\":\"A\",\"field\":\"title\",\"value\":\"x\",\"queued_at\":\"2030-01-01T00:00:00Z\"}\n{\"sku\":\n", `o.jsonl:2: the JSON ends too early`},
		{"bad JSON value", "o.jsonl", "{\"sku\":\"A\",\"field\":\"price\",\"value\":1,\"queued_at\":\"2030-01-01T00:00:00Z\"}\n", `o.jsonl:1: key "value": want a string, not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "e.csv"), "sku\nA\n", fixedNow)
			writeFile(t, filepath.Join(dir, tt.outbox), tt.data, time.Time{})
			c := open(t, dir, `export = "e.csv"`+"\n"+`outbox = "`+tt.outbox+`"`)
			err := c.Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v; want %s", err, tt.wantErr)
			}
		})
	}
}
