package report

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/money"
)

// Inventory is the inventory sync matrix: a row per channel, and per pool
// where its stock goes.
type Inventory struct {
	Channels []InventoryChannel `json:"channels"`
	Pools    []PoolStock        `json:"pools"`
}

// InventoryChannel is one channel's row of the matrix.
type InventoryChannel struct {
	Channel     string `json:"channel"`
	Type        string `json:"type"`
	Marketplace string `json:"marketplace"`
	// Pool is the channel's pool, or nil when accord does not manage its
	// quantities; Shared says the pool has other channels.
	Pool   *string `json:"pool"`
	Shared bool    `json:"shared"`
	// Buffer is "10%", "2 units" or "none".
	Buffer  string `json:"buffer"`
	Reserve int64  `json:"reserve"`
	Max     *int64 `json:"max"`
	// LowStock is the pool's low-stock threshold, and KeepsListing whether
	// this channel keeps listing below it.
	LowStock     *int64 `json:"low_stock_threshold"`
	KeepsListing bool   `json:"keeps_listing_below_threshold"`
	// SafetyLine says in words what the channel lists as stock runs out.
	SafetyLine string `json:"at_the_safety_line"`
	// CompareAndSet says accord's quantity writes to the channel are
	// compare-and-set, so a sale made meanwhile is never overwritten.
	CompareAndSet bool `json:"compare_and_set"`
	// OrdersPerDay is the channel's order rate, from the spec or estimated
	// from the audit log (OrdersFrom says which), or nil.
	OrdersPerDay *string `json:"orders_per_day"`
	OrdersFrom   string  `json:"orders_per_day_from,omitempty"`
	// Totals over the pool's SKUs: units listed, SKUs listed with stock,
	// SKUs at zero and SKUs the low-stock throttle holds at zero.
	Units     int64 `json:"units_listed"`
	Listed    int   `json:"skus_listed"`
	AtZero    int   `json:"skus_at_zero"`
	Throttled int   `json:"skus_throttled"`
}

// PoolStock is where one pool's on-hand stock goes.
type PoolStock struct {
	Name     string   `json:"name"`
	Source   string   `json:"source"`
	Channels []string `json:"channels"`
	SKUs     int      `json:"skus"`
	// OnHand is the units on hand over the pool's SKUs; Safety the units
	// the safety stock holds back; Reserved the units ring-fenced for one
	// channel each.
	OnHand   int64 `json:"on_hand"`
	Safety   int64 `json:"safety_stock_units"`
	Reserved int64 `json:"reserved_units"`
	// AtZero counts SKUs with nothing to sell after the safety stock;
	// BelowBuffers the SKUs whose available stock is under the sum of the
	// channels' buffers.
	AtZero       int `json:"skus_at_zero"`
	BelowBuffers int `json:"skus_below_buffers"`
	// Allocation is, per channel, the units it lists and the units of the
	// pool's available stock it does not (buffer, max, throttle and the
	// other channels' reserves).
	Allocation []Allocation `json:"allocation"`
	// belowBuffers are the SKUs counted in BelowBuffers.
	belowBuffers []string
}

// Allocation is one channel's share of a pool.
type Allocation struct {
	Channel  string `json:"channel"`
	Listed   int64  `json:"listed"`
	Withheld int64  `json:"withheld"`
}

// poolSKU is one SKU of a pool worked through the quantity formula.
type poolSKU struct {
	onHand, available int64
}

func buildInventory(s *spec.Spec, in Input, g *grid) Inventory {
	var inv Inventory
	poolOf := map[string]*spec.Pool{}
	for _, p := range s.Pools {
		for _, ch := range p.Channels {
			if _, taken := poolOf[ch]; !taken {
				poolOf[ch] = p
			}
		}
	}
	rows := map[string]*InventoryChannel{}
	for _, ch := range s.Channels {
		kind, _ := in.Kinds.Lookup(ch.Type)
		row := InventoryChannel{Channel: ch.Name, Type: ch.Type, Marketplace: kind.Profile.Marketplace, Buffer: "none",
			CompareAndSet: kind.Profile.ComparesQuantities}
		if ch.OrdersPerDay.Valid {
			v := ch.OrdersPerDay.Decimal.String()
			row.OrdersPerDay, row.OrdersFrom = &v, "spec"
		} else if est, ok := in.Orders[ch.Name]; ok {
			v := est.PerDay.StringFixed(1)
			row.OrdersPerDay, row.OrdersFrom = &v, "audit"
		}
		if p := poolOf[ch.Name]; p != nil {
			name := p.Name
			row.Pool, row.Shared = &name, len(p.Channels) > 1
			pc := p.PerChannel[ch.Name]
			row.Buffer = bufferText(pc.Buffer)
			row.Reserve = pc.Reserve
			if pc.HasMax {
				m := pc.Max
				row.Max = &m
			}
			if p.LowStock != nil {
				t := p.LowStock.Threshold
				row.LowStock = &t
				row.KeepsListing = slices.Contains(p.LowStock.Channels, ch.Name)
			}
			row.SafetyLine = safetyLine(p, ch.Name, row)
		} else {
			row.SafetyLine = "accord does not manage this channel's quantities"
		}
		inv.Channels = append(inv.Channels, row)
	}
	for i := range inv.Channels {
		rows[inv.Channels[i].Channel] = &inv.Channels[i]
	}
	for _, p := range s.Pools {
		inv.Pools = append(inv.Pools, poolStock(s, in, g, p, rows))
	}
	return inv
}

// poolStock sums one pool over its SKUs, and adds each channel's totals to
// its row.
func poolStock(s *spec.Spec, in Input, g *grid, p *spec.Pool, rows map[string]*InventoryChannel) PoolStock {
	ps := PoolStock{Name: p.Name, Source: p.Source, Channels: p.Channels}
	type chanIdx struct {
		c    int
		name string
		pc   spec.PoolChannel
		keep bool
	}
	var chans []chanIdx
	for _, name := range p.Channels {
		if _, c, ok := s.Channel(name); ok {
			keep := p.LowStock == nil || slices.Contains(p.LowStock.Channels, name)
			chans = append(chans, chanIdx{c: c, name: name, pc: p.PerChannel[name], keep: keep})
		}
	}
	alloc := make([]Allocation, len(chans))
	for k, ch := range chans {
		alloc[k].Channel = ch.name
	}
	var reserves int64
	for _, ch := range chans {
		reserves += ch.pc.Reserve
	}
	for i, prod := range s.Products {
		if !p.SKUs.Contains(i) {
			continue
		}
		sku := poolSKU{}
		if in.Stock != nil {
			sku.onHand, _ = in.Stock.OnHand(p.Source, prod.SKU)
		}
		sku.available = max(0, sku.onHand-p.SafetyStock)
		counted := false
		var buffers int64
		for k, ch := range chans {
			q := g.qty[ch.c][i]
			if q < 0 {
				continue // the channel does not list this SKU
			}
			if !counted {
				ps.SKUs++
				ps.OnHand += max(0, sku.onHand)
				ps.Safety += min(max(0, sku.onHand), p.SafetyStock)
				ps.Reserved += min(sku.available, reserves)
				if sku.available == 0 {
					ps.AtZero++
				}
				counted = true
			}
			base := max(0, sku.available-(reserves-ch.pc.Reserve))
			buffers += bufferUnits(ch.pc.Buffer, base)
			alloc[k].Listed += q
			alloc[k].Withheld += sku.available - q
			row := rows[ch.name]
			row.Units += q
			switch {
			case q > 0:
				row.Listed++
			case p.LowStock != nil && sku.available < p.LowStock.Threshold && !ch.keep && sku.available > 0:
				row.Throttled++
				row.AtZero++
			default:
				row.AtZero++
			}
		}
		if counted && sku.available > 0 && sku.available < buffers {
			ps.BelowBuffers++
			ps.belowBuffers = append(ps.belowBuffers, prod.SKU)
		}
	}
	ps.Allocation = alloc
	return ps
}

// bufferUnits is what a buffer withholds from base units.
func bufferUnits(b spec.Buffer, base int64) int64 {
	if b.Percent {
		if b.Fraction.IsZero() {
			return 0
		}
		return base - decimal.NewFromInt(base).Mul(decimal.NewFromInt(1).Sub(b.Fraction)).Floor().IntPart()
	}
	return min(base, b.Units)
}

func bufferText(b spec.Buffer) string {
	switch {
	case b.Percent && !b.Fraction.IsZero():
		return money.FormatPercent(b.Fraction)
	case !b.Percent && b.Units == 1:
		return "1 unit"
	case !b.Percent && b.Units > 0:
		return fmt.Sprintf("%d units", b.Units)
	}
	return "none"
}

// safetyLine says what a channel lists as a pool's stock runs out.
func safetyLine(p *spec.Pool, name string, row InventoryChannel) string {
	line := "0 when out of stock"
	if p.SafetyStock > 0 {
		line = fmt.Sprintf("0 at %d or fewer on hand", p.SafetyStock)
	}
	if row.LowStock != nil && !row.KeepsListing {
		line = fmt.Sprintf("0 below %d available: the last units go to %s", *row.LowStock, joinNames(p.LowStock.Channels))
	}
	var others int64
	for _, ch := range p.Channels {
		if ch != name {
			others += p.PerChannel[ch].Reserve
		}
	}
	if others > 0 {
		line += fmt.Sprintf(", after %d reserved for other channels", others)
	}
	return line
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return "no channel"
	case 1:
		return names[0]
	}
	out := ""
	for i, n := range names {
		switch {
		case i == 0:
			out = n
		case i == len(names)-1:
			out += " and " + n
		default:
			out += ", " + n
		}
	}
	return out
}
