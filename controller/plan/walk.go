package plan

import (
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/spec"
)

// A channel's observed listings are matched to its desired ones by walking
// both in SKU order while the channel pages in that order (as most APIs
// do), which needs no map of a channel's 100k SKUs; a channel that pages
// in another order, or goes back, is matched through an index from then on.

// prepare finds each desired listing's product and SKU on the channel.
func (d *Differ) prepare(cd *channelDiff) {
	if cd.prepared {
		return
	}
	cd.prepared = true
	cd.products = make([]*spec.Product, len(cd.desired))
	cd.skus = make([]string, len(cd.desired))
	cd.seen = make([]bool, len(cd.desired))
	cd.walking = true
	if cd.parity {
		cd.prices = make([]decimal.NullDecimal, len(d.in.Spec.Products))
		cd.pidx = make([]int32, len(cd.desired))
	}
	for i, l := range cd.desired {
		prod, pi, ok := d.in.Spec.Product(l.SKU)
		if !ok {
			continue
		}
		if cd.parity {
			cd.pidx[i] = int32(pi) //nolint:gosec // G115: a catalog position; 2^31 products do not fit in memory
		}
		chSKU, listed := cd.spec.ChannelSKU(prod)
		if !listed {
			continue
		}
		if cd.walking && chSKU <= cd.last {
			cd.walking = false
		}
		cd.products[i], cd.skus[i], cd.last = prod, chSKU, chSKU
	}
	cd.last = ""
}

// lookup finds the desired listing of a channel SKU. A channel that
// returns its listings in SKU order (as most APIs page) is matched by
// walking both lists in step, without a map of its 100k SKUs; a channel
// whose order differs is matched through an index.
func (cd *channelDiff) lookup(sku string) (int, bool) {
	if sku == "" {
		return -1, false
	}
	if cd.walking {
		if sku >= cd.last {
			cd.last = sku
			for cd.next < len(cd.skus) && cd.skus[cd.next] < sku {
				cd.next++
			}
			if cd.next < len(cd.skus) && cd.skus[cd.next] == sku {
				return cd.next, true
			}
			return -1, false
		}
		cd.walking = false // the channel went back: use an index from here on
	}
	if cd.index == nil {
		cd.index = make(map[string]int32, len(cd.skus))
		for i, s := range cd.skus {
			if s != "" {
				cd.index[s] = int32(i)
			}
		}
	}
	j, ok := cd.index[sku]
	return int(j), ok
}
