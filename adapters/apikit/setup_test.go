package apikit

import (
	"net/http"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
)

func TestSetupDefaults(t *testing.T) {
	var none adapters.Setup
	if hc := HTTPClient(none); hc == nil || hc == http.DefaultClient || hc.Timeout != time.Minute {
		t.Errorf("HTTPClient of an empty setup = %+v, want a client of its own with a minute's timeout", hc)
	}
	if UserAgent(none) != "accord" || Clock(none) == nil {
		t.Errorf("UserAgent = %q, Clock nil: %v", UserAgent(none), Clock(none) == nil)
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	hc := &http.Client{}
	given := adapters.Setup{HTTPClient: hc, UserAgent: "accord/1.2", Now: func() time.Time { return at }}
	if HTTPClient(given) != hc || UserAgent(given) != "accord/1.2" || !Clock(given)().Equal(at) {
		t.Error("the setup's own client, user agent or clock was not used")
	}
}
