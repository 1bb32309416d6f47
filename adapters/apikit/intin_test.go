package apikit

import (
	"strings"
	"testing"
)

func TestIntIn(t *testing.T) {
	b := Decode(setupOf(t, "shop = \"x\"\nsize = 7\n", nil), specOf, nil, "SHOP")
	if n := b.IntIn("size", 3, 0, 10, "unused"); n != 7 || b.Err() != nil {
		t.Fatalf("IntIn = %d, %v", n, b.Err())
	}
	b = Decode(setupOf(t, "shop = \"x\"\n", nil), specOf, nil, "SHOP")
	if n := b.IntIn("size", 3, 0, 10, "unused"); n != 3 || b.Err() != nil {
		t.Fatalf("IntIn of an unset attribute = %d, %v", n, b.Err())
	}
	for _, src := range []string{"size = 11", "size = -1", "size = 2.5"} {
		b = Decode(setupOf(t, "shop = \"x\"\n"+src+"\n", nil), specOf, nil, "SHOP")
		n := b.IntIn("size", 3, 0, 10, "size is a whole number of widgets from 0 to 10.")
		if err := b.Err(); n != 3 || err == nil || !strings.Contains(err.Error(), "size is a whole number of widgets from 0 to 10.") {
			t.Errorf("%s: IntIn = %d, %v; want the default and the detail as given", src, n, err)
		}
	}
}
