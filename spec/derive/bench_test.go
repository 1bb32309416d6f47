package derive_test

import (
	"testing"
	"time"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
	"github.com/accordhq/accord/spec/specgen"
)

// BenchmarkDerive100k measures the derivation alone of a generated
// 100k-SKU x 6-channel spec (600k listings) during its promotions, without
// stock, so that the price path dominates; loading is set-up, not timed:
//
//	go test -run '^$' -bench Derive -benchmem ./spec/derive
func BenchmarkDerive100k(b *testing.B) {
	dir := b.TempDir()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	s, diags := spec.LoadDir(dir, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	e := derive.New(s)
	opts := derive.Options{At: time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)}
	var res *derive.Result
	for b.Loop() {
		res = e.Derive(opts)
	}
	if len(res.Listings) < 500_000 {
		b.Fatalf("derived %d listings, want about 600k", len(res.Listings))
	}
}
