package shopee

import (
	"testing"

	"github.com/accordhq/accord/adapters/shopee/shopeetest"
)

// The worked examples of Shopee's API-calls guide ("Signature
// calculation"): the base strings, exactly as the guide prints them.
func TestBaseStringsOfTheGuide(t *testing.T) {
	for name, tc := range map[string]struct{ got, want string }{
		"shop API": {
			shopBase(2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711),
			"2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711",
		},
		"public API": {
			publicBase(2001887, "/api/v2/public/get_shops_by_partner", 1655714431),
			"2001887/api/v2/public/get_shops_by_partner1655714431",
		},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: base string %q, want the guide's %q", name, tc.got, tc.want)
		}
	}
}

// The signature is lowercase hex HMAC-SHA256 keyed with the partner key
// (the guide prints a sign but not its key, so the vectors here were
// computed apart, with Python's hmac module), and the fake computes the
// same on its own.
func TestSign(t *testing.T) {
	base := shopBase(2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711)
	for _, tc := range []struct{ key, base, want string }{
		{shopeetest.PartnerKey, base, "1c5f6539d7739c4e32871b4f5e3bf7e67e63e5e3aa94081d56ef60774c175cbf"},
		{"key", publicBase(2001887, "/api/v2/public/get_shops_by_partner", 1655714431), "6677d07fddbb428e83f5fedd5d88748ad5d994fe6ca132240eb5b5878183b1ee"},
	} {
		if got := sign(tc.key, tc.base); got != tc.want {
			t.Errorf("sign(%q) = %s, want %s", tc.base, got, tc.want)
		}
	}
	if got, want := sign(shopeetest.PartnerKey, base), shopeetest.Sign(shopeetest.PartnerKey, 2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711); got != want {
		t.Errorf("the adapter signs %s, the fake expects %s", got, want)
	}
}
