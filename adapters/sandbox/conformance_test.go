package sandbox

import (
	"context"
	"errors"
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
		setup := adapters.Setup{Name: "shop", Currency: "USD", Scale: 2, SpecDir: dir, Config: f.Body, Now: time.Now}
		return adaptertest.Fixture{
			Channel: "shop", Currency: "USD", Scale: 2,
			Open: func(t *testing.T) adapters.Channel {
				ch, err := Open(context.Background(), setup)
				if err != nil {
					t.Fatal(err)
				}
				return ch
			},
			// A customer's order, from another process: `accord sandbox
			// sell` opens the sandbox file on its own.
			Order: func(t *testing.T, sku string, units int64) {
				c, err := OpenChannel(context.Background(), setup)
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Sell(context.Background(), sku, sku, units)
				if err = errors.Join(err, c.Close()); err != nil {
					t.Fatal(err)
				}
			},
		}
	}}
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, harness(`
page_size      = 7
batch_size     = 4
watch_interval = "5ms"
`))
}

// As a bulk feed: every apply is a submission confirmed later.
func TestConformanceAsync(t *testing.T) {
	adaptertest.Run(t, harness(`
page_size = 7
async     = true
`))
}
