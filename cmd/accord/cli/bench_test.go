package cli

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
	"github.com/accordhq/accord/spec/specgen"
)

// peakRSSMiB reads the process's peak resident set size (Linux only).
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkLoadDerive100k measures what `accord desired` does before it
// renders: load a generated 100k-SKU x 6-channel spec (HCL and CSV), read
// its stock file and derive all 600k listings. Run it alone, so that the
// peak-RSS figure is this benchmark's:
//
//	go test -run '^$' -bench LoadDerive100k -benchmem ./cmd/accord/cli
func BenchmarkLoadDerive100k(b *testing.B) {
	dir := b.TempDir()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	var res *derive.Result
	for b.Loop() {
		res = nil // the last run's 600k listings are garbage, as in a real run
		s, diags := spec.LoadDir(dir, spec.Options{Types: builtin.Registry()})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		levels, diags := stock.Read(context.Background(), s, dir, nil)
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		res = derive.Derive(s, derive.Options{At: at, Stock: levels})
	}
	if len(res.Listings) < 500_000 {
		b.Fatalf("derived %d listings, want about 600k", len(res.Listings))
	}
	b.ReportMetric(float64(len(res.Listings)), "listings")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkDesiredJSON100k measures rendering the 600k listings as the
// contract's JSON.
func BenchmarkDesiredJSON100k(b *testing.B) {
	dir := b.TempDir()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	s, _ := spec.LoadDir(dir, spec.Options{Types: builtin.Registry()})
	levels, _ := stock.Read(context.Background(), s, dir, nil)
	res := derive.Derive(s, derive.Options{At: time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC), Stock: levels})
	for b.Loop() {
		if err := writeDesiredJSON(io.Discard, s, res); err != nil {
			b.Fatal(err)
		}
	}
}
