package derive

import (
	"context"
	"sort"
	"time"

	"github.com/accordhq/accord/spec"
)

// TimedFinding is a finding and the first instant it holds.
type TimedFinding struct {
	Finding
	At time.Time
}

// Check derives prices and fields at now and prices again at every later
// instant where a promotion starts or ends, and returns each finding once,
// at the first instant it appears. It is what validation runs: a promotion
// that will clash with a floor next week is an error today. Quantities are
// left out, so no stock is needed.
func Check(s *spec.Spec, now time.Time) []TimedFinding {
	return CheckUntil(s, now, time.Time{})
}

// CheckUntil is Check over the promotion boundaries before until (every
// one when until is zero): what the report reads for a window.
func CheckUntil(s *spec.Spec, now, until time.Time) []TimedFinding {
	e := New(s)
	out, _ := e.CheckFrom(context.Background(), e.Derive(Options{At: now}), until)
	return out
}

// CheckFrom is CheckUntil from a derivation already made at its instant
// (with or without stock and fields): the findings of first, then those
// that appear at a later promotion boundary before until. It stops with
// ctx's error when ctx ends.
func (e *Engine) CheckFrom(ctx context.Context, first *Result, until time.Time) ([]TimedFinding, error) {
	s, now := e.s, first.At
	seen := map[string]bool{}
	var out []TimedFinding
	collect := func(at time.Time, fs []Finding) {
		for _, f := range fs {
			key := f.Code + "\x00" + f.Channel + "\x00" + f.SKU + "\x00" + f.Field
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, TimedFinding{Finding: f, At: at})
		}
	}
	collect(now, first.Findings)
	for _, at := range Boundaries(s, now) {
		if !until.IsZero() && !at.Before(until) {
			break
		}
		skus := BoundarySKUs(s, at)
		if len(skus) == 0 {
			continue
		}
		res, err := e.DeriveContext(ctx, Options{At: at, SKUs: skus, NoFields: true})
		if err != nil {
			return nil, err
		}
		collect(at, res.Findings)
	}
	return out, nil
}

// BoundarySKUs returns the SKUs whose prices may change at a promotion
// boundary: only SKUs of a promotion that runs at the instant, or ends at
// it, can price differently there than just before (a promotion's end
// returns its SKUs to their regular prices, which may break a rule the
// sale price kept).
func BoundarySKUs(s *spec.Spec, at time.Time) []string {
	var skus []string
	covered := make([]bool, len(s.Products))
	for _, p := range s.Promotions {
		if !p.Active(at) && !p.Ends.Equal(at) {
			continue
		}
		for i, c := range p.Covers {
			if c && !covered[i] {
				covered[i] = true
				skus = append(skus, s.Products[i].SKU)
			}
		}
	}
	return skus
}

// Boundaries returns the instants after now at which a promotion starts or
// ends, sorted and without repeats.
func Boundaries(s *spec.Spec, now time.Time) []time.Time {
	set := map[int64]time.Time{}
	for _, p := range s.Promotions {
		for _, t := range []time.Time{p.Starts, p.Ends} {
			if t.After(now) {
				set[t.UnixNano()] = t
			}
		}
	}
	out := make([]time.Time, 0, len(set))
	for _, t := range set {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
