package apikit

import (
	"net/http"
	"time"

	"github.com/accordhq/accord/adapters"
)

// HTTPClient is setup's HTTP client, or one that gives up on a call after
// a minute when setup has none.
func HTTPClient(setup adapters.Setup) *http.Client {
	if setup.HTTPClient != nil {
		return setup.HTTPClient
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// Clock is setup's clock, or time.Now.
func Clock(setup adapters.Setup) func() time.Time {
	if setup.Now != nil {
		return setup.Now
	}
	return time.Now
}

// UserAgent is setup's user agent, or "accord".
func UserAgent(setup adapters.Setup) string {
	if setup.UserAgent != "" {
		return setup.UserAgent
	}
	return "accord"
}
