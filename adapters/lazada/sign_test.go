package lazada

import (
	"net/url"
	"testing"
)

// The example of Lazada's "HTTP request sample" guide (open.lazada.com
// docId 108069): /order/get with app_key 123456, access_token test,
// timestamp 1517820392000, sign_method sha256 and order_id 1234, signed
// under the app secret "helloworld". The guide gives the signature; it
// was checked independently with
// printf '%s' '/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000' | openssl dgst -sha256 -hmac helloworld
func TestSignDocumentedVector(t *testing.T) {
	params := url.Values{
		"app_key": {"123456"}, "access_token": {"test"}, "timestamp": {"1517820392000"},
		"sign_method": {"sha256"}, "order_id": {"1234"},
	}
	const want = "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
	if got := Sign("helloworld", "/order/get", params); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	// The sign parameter itself is not signed.
	params.Set("sign", want)
	if got := Sign("helloworld", "/order/get", params); got != want {
		t.Errorf("Sign with sign set = %s, want %s", got, want)
	}
}

// The "Signature algorithm" guide's sort: by name in ASCII order, so
// foo_bar comes before foobar; built by hand from the algorithm (the guide
// gives the string to sign, not a signature).
func TestSignOrder(t *testing.T) {
	params := url.Values{"foo": {"1"}, "bar": {"2"}, "foo_bar": {"3"}, "foobar": {"4"}}
	// "/test/apibar2foo1foo_bar3foobar4" under "helloworld", by openssl
	// as above.
	const want = "BD011266EC150C787B2201495AA2D6F326BB6910DE77E84EA28F5215DCD7FA5E"
	if got := Sign("helloworld", "/test/api", params); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
