package adapters

import (
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry(Kind{Name: "shopify", CanCreate: true}, Kind{Name: "amazon"})
	if got := strings.Join(r.Names(), ","); got != "amazon,shopify" {
		t.Errorf("Names = %s, want amazon,shopify", got)
	}
	if k, ok := r.Lookup("shopify"); !ok || !k.CanCreate {
		t.Errorf("Lookup(shopify) = %+v, %v", k, ok)
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
