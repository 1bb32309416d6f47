package adapters

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry(Kind{Name: "shopify", Summary: "GraphQL"}, Kind{Name: "amazon"}).
		WithStock(StockKind{Name: "file"})
	if got := strings.Join(r.Names(), ","); got != "amazon,shopify" {
		t.Errorf("Names = %s, want amazon,shopify", got)
	}
	if k, ok := r.Lookup("shopify"); !ok || k.Summary != "GraphQL" {
		t.Errorf("Lookup(shopify) = %+v, %v", k, ok)
	}
	if got := strings.Join(r.StockNames(), ","); got != "file" {
		t.Errorf("StockNames = %s, want file", got)
	}
	if _, err := r.Open(context.Background(), "shopify", Setup{Name: "shop"}); !errors.Is(err, ErrUnavailable) || ReasonOf(err) != ReasonUnavailable {
		t.Errorf("Open of a kind without an adapter = %v, want ErrUnavailable", err)
	}
	if _, ok := r.Lookup("ebay"); ok {
		t.Error("Lookup found a kind that was not registered")
	}
	defer func() {
		if recover() == nil {
			t.Error("a kind registered twice did not panic")
		}
	}()
	NewRegistry(Kind{Name: "x"}, Kind{Name: "x"})
}

func TestListingField(t *testing.T) {
	l := Listing{Fields: []Field{{"description", "d"}, {"gtin", "0123"}, {"title", "T"}}}
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{{"gtin", "0123", true}, {"title", "T", true}, {"description", "d", true}, {"brand", "", false}, {"zzz", "", false}} {
		if got, ok := l.Field(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("Field(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestChangeKinds(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind ChangeKind
	}{
		{"quantity", KindQuantity}, {"price", KindPrice}, {"compare_at", KindCompareAt},
		{"listing", KindCreate}, {"title", KindField}, {"status", 0},
	} {
		if got := KindOf(tt.name); got != tt.kind {
			t.Errorf("KindOf(%q) = %v, want %v", tt.name, got, tt.kind)
		}
		if tt.kind != 0 {
			if got := NameOf(tt.kind, tt.name); got != tt.name {
				t.Errorf("NameOf(%v, %q) = %q", tt.kind, tt.name, got)
			}
		}
		if Reserved(tt.name) != (tt.kind != KindField) {
			t.Errorf("Reserved(%q) = %v", tt.name, Reserved(tt.name))
		}
	}
	// A listing field may not take a reserved name, so a change to the
	// field "quantity" cannot exist; a KindField change always names its
	// field, whatever it is called.
	c := Change{Kind: KindField, Field: "title"}
	if c.Name() != "title" {
		t.Errorf("Name = %q", c.Name())
	}
}

func TestReasonOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want Reason
	}{
		{&AuthError{Message: "401"}, ReasonAuth},
		{fmt.Errorf("observe shop: %w", &ThrottledError{}), ReasonThrottled},
		{&TemporaryError{Message: "503"}, ReasonUnreachable},
		{&BadResponseError{Message: "not JSON"}, ReasonBadResponse},
		{&ConfigError{Channel: "x"}, ReasonConfig},
		{context.Canceled, ReasonCancelled},
		{context.DeadlineExceeded, ReasonUnreachable},
		{errors.New("disk on fire"), ReasonFailed},
		{nil, ""},
	} {
		if got := ReasonOf(tt.err); got != tt.want {
			t.Errorf("ReasonOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[EventKind]string{EventOrder: "order", EventListing: "listing", 0: "EventKind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("EventKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// A config block's problems are all named: the environment variables env()
// reads and that are not set together (sorted), then the rest as HCL writes
// them.
func TestConfigErrorNamesEverything(t *testing.T) {
	rng := &hcl.Range{Filename: "accord.hcl", Start: hcl.Pos{Line: 3, Column: 5, Byte: 10}, End: hcl.Pos{Line: 3, Column: 9, Byte: 14}}
	unset := func(name string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Error in function call", Subject: rng,
			Detail: `Call to function "env" failed: environment variable ` + name + ` is not set.`}
	}
	for _, c := range []struct {
		diags hcl.Diagnostics
		want  string
	}{
		{hcl.Diagnostics{unset("B_TOKEN"), unset("A_ID")}, "channel shop: config: environment variables A_ID, B_TOKEN are not set"},
		{hcl.Diagnostics{unset("A_ID")}, "channel shop: config: environment variable A_ID is not set"},
		{hcl.Diagnostics{unset("A_ID"), &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid region", Detail: "write na, eu or fe.", Subject: rng}},
			"channel shop: config: environment variable A_ID is not set; accord.hcl:3,5-9: Invalid region; write na, eu or fe."},
		{hcl.Diagnostics{&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Literal secret"}}, "channel shop: config: <nil>: Literal secret; "},
	} {
		if got := (&ConfigError{Channel: "shop", Diags: c.diags}).Error(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
