package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
)

// harness opens sandbox channels with the given config block, each fixture
// in a directory of its own.
func harness(config string) adaptertest.Harness {
	return adaptertest.Harness{Kind: Kind, New: func(t *testing.T) adaptertest.Fixture {
		dir := t.TempDir()
		f, diags := hclsyntax.ParseConfig([]byte(config), "config.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return adaptertest.Fixture{
			Channel: "shop", Currency: "USD", Scale: 2,
			Open: func(t *testing.T) adapters.Channel {
				ch, err := Open(context.Background(), adapters.Setup{Name: "shop", Currency: "USD", Scale: 2, SpecDir: dir, Config: f.Body, Now: time.Now})
				if err != nil {
					t.Fatal(err)
				}
				return ch
			},
		}
	}}
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, harness(`
page_size  = 7
batch_size = 4
`))
}

// As a bulk feed: every apply is a submission confirmed later.
func TestConformanceAsync(t *testing.T) {
	adaptertest.Run(t, harness(`
page_size = 7
async     = true
`))
}
