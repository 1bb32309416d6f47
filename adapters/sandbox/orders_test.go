package sandbox

import (
	"context"
	"errors"
	"testing"

	"github.com/accordhq/accord/adapters"
)

// warehouse opens the warehouse of c's sandbox until the test ends.
func warehouse(t *testing.T, c *Channel) *Warehouse {
	t.Helper()
	w, err := OpenWarehouse(context.Background(), c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	return w
}

// receive stocks the warehouse of c's sandbox with units of sku.
func receive(t *testing.T, c *Channel, sku string, units int64) {
	t.Helper()
	if err := warehouse(t, c).Receive(context.Background(), sku, units); err != nil {
		t.Fatal(err)
	}
}

// onHand is the warehouse's on-hand units of sku, and whether it keeps it.
func onHand(t *testing.T, c *Channel, sku string) (int64, bool) {
	t.Helper()
	levels, _, err := warehouse(t, c).Levels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, ok := levels[sku]
	return n, ok
}

// A customer buys what the channel lists: an order over the listing is
// refused and changes nothing; one the warehouse cannot cover is taken and
// its shortfall recorded as oversold.
func TestSell(t *testing.T) {
	const none = -1 // the warehouse does not keep the SKU
	cases := []struct {
		name     string
		listed   int64 // none: the quantity is unmanaged
		stock    int64
		units    int64
		refused  string // the error, or "" when the order is taken
		left     int64
		oversold int64
		after    int64 // on hand after the order
	}{
		{name: "in stock", listed: 5, stock: 10, units: 3, left: 2, after: 7},
		{name: "the whole listing", listed: 3, stock: 3, units: 3, left: 0, after: 0},
		{name: "warehouse short", listed: 5, stock: 1, units: 3, left: 2, oversold: 2, after: 0},
		{name: "warehouse empty", listed: 4, stock: 0, units: 4, left: 0, oversold: 4, after: 0},
		{name: "not kept in the warehouse", listed: 5, stock: none, units: 2, left: 3, after: none},
		{name: "more than listed", listed: 2, stock: 10, units: 3, refused: "refused: shop lists 2 of A; an order of 3 cannot be placed", left: 2, after: 10},
		{name: "listed out", listed: 0, stock: 0, units: 1, refused: "refused: shop lists 0 of A; an order of 1 cannot be placed", left: 0, after: 0},
		{name: "unmanaged quantity", listed: none, stock: 4, units: 1, refused: "refused: shop lists 0 of A; an order of 1 cannot be placed", left: none, after: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := open(t, t.TempDir(), "shop")
			l := listing("A", tc.listed, "10.00")
			if tc.listed == none {
				l.Quantity = adapters.Quantity{}
			}
			if r := c.Apply(ctx, []adapters.Change{{Key: l.Key, Kind: adapters.KindCreate, Listing: l}}); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
			if tc.stock != none {
				receive(t, c, "A", tc.stock)
			}
			o, err := c.Sell(ctx, "A", "A", tc.units)
			var refused *RefusedError
			switch {
			case tc.refused != "":
				if !errors.As(err, &refused) || err.Error() != tc.refused {
					t.Fatalf("Sell = %+v, %v; want refused: %s", o, err, tc.refused)
				}
			case err != nil:
				t.Fatalf("Sell: %v", err)
			default:
				want := Order{ID: o.ID, Channel: "shop", SKU: "A", Units: tc.units, Left: tc.left, Oversold: tc.oversold, At: testNow}
				if o != want || o.ID < 1 {
					t.Errorf("Sell = %+v, want %+v", o, want)
				}
			}
			want := adapters.Quantity{Units: tc.left, Valid: true}
			if tc.left == none {
				want = adapters.Quantity{}
			}
			if got := observe(t, c)["A"].Quantity; got != want {
				t.Errorf("listed %+v after the order, want %+v", got, want)
			}
			if n, kept := onHand(t, c, "A"); kept != (tc.after != none) || kept && n != tc.after {
				t.Errorf("on hand %d (kept: %v) after the order, want %d", n, kept, tc.after)
			}
			orders, units, err := c.Oversells(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if wantOrders := min(tc.oversold, 1); orders != wantOrders || units != tc.oversold {
				t.Errorf("Oversells = %d orders, %d units; want %d, %d", orders, units, wantOrders, tc.oversold)
			}
		})
	}
}

func TestSellRefused(t *testing.T) {
	ctx := context.Background()
	c := open(t, t.TempDir(), "shop")
	_, err := c.Sell(ctx, "NOPE", "NOPE", 1)
	var refused *RefusedError
	if !errors.As(err, &refused) || !refused.Missing || err.Error() != "refused: shop lists no SKU NOPE" {
		t.Errorf("an order for a listing the channel lacks: %v", err)
	}
	if _, err := c.Sell(ctx, "NOPE", "NOPE", 0); err == nil || errors.As(err, &refused) {
		t.Errorf("an order of 0 units: %v, want an error that is not a refusal", err)
	}
}

// Oversells counts per channel, over every SKU or the ones asked for.
func TestOversells(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := open(t, dir, "shop")
	market := open(t, dir, "market")
	for _, ch := range []*Channel{c, market} {
		if r := ch.Apply(ctx, []adapters.Change{create("A", 9, "10.00"), create("B", 9, "10.00")}); r[0].Err != nil || r[1].Err != nil {
			t.Fatal(r)
		}
	}
	receive(t, c, "A", 2)
	receive(t, c, "B", 0)
	for _, s := range []struct {
		ch    *Channel
		sku   string
		units int64
	}{
		{c, "A", 1},      // 1 left
		{c, "A", 3},      // 2 oversold
		{market, "A", 1}, // 1 oversold, on the market
		{c, "B", 2},      // 2 oversold
	} {
		if _, err := s.ch.Sell(ctx, s.sku, s.sku, s.units); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ch            *Channel
		skus          []string
		orders, units int64
	}{
		{c, nil, 2, 4},
		{c, []string{"A"}, 1, 2},
		{c, []string{"B", "C"}, 1, 2},
		{market, nil, 1, 1},
	} {
		orders, units, err := tc.ch.Oversells(ctx, tc.skus...)
		if err != nil {
			t.Fatal(err)
		}
		if orders != tc.orders || units != tc.units {
			t.Errorf("%s Oversells(%v) = %d orders, %d units; want %d, %d", tc.ch.name, tc.skus, orders, units, tc.orders, tc.units)
		}
	}
}

// The sell-on-apply hook's orders are customers' orders too: one the
// listing cannot cover is refused, uses the hook up and lets the batch
// land; one the warehouse cannot cover is oversold.
func TestSellOnApplyRules(t *testing.T) {
	ctx := context.Background()
	c := open(t, t.TempDir(), "shop")
	if r := c.Apply(ctx, []adapters.Change{create("A", 5, "10.00"), create("B", 1, "10.00")}); r[0].Err != nil || r[1].Err != nil {
		t.Fatal(r)
	}
	receive(t, c, "A", 1)
	err := c.SetFaults(ctx, Faults{SellOnApply: []Sale{{SKU: "A", Units: 3}, {SKU: "B", Units: 2}, {SKU: "NEW", Units: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	rs := c.Apply(ctx, []adapters.Change{
		{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindQuantity, From: v("2"), To: v("1")},
		{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindQuantity, From: v("1"), To: v("0")},
		create("NEW", 4, "3.00"),
	})
	for i, want := range []string{"ok", "ok", "ok"} {
		if got := errText(rs[i].Err); got != want {
			t.Errorf("change %d: %s, want %s", i, got, want)
		}
	}
	if f, _ := c.Faults(ctx); len(f.SellOnApply) != 0 {
		t.Errorf("hooks still set after they fired: %+v", f.SellOnApply)
	}
	got := observe(t, c)
	for sku, want := range map[string]int64{"A": 1, "B": 0, "NEW": 4} {
		if q := got[sku].Quantity.Units; q != want {
			t.Errorf("%s listed %d, want %d", sku, q, want)
		}
	}
	if orders, units, err := c.Oversells(ctx); err != nil || orders != 1 || units != 2 {
		t.Errorf("Oversells = %d orders, %d units, %v; want A's order oversold by 2", orders, units, err)
	}
}

func TestRestock(t *testing.T) {
	ctx := context.Background()
	w := warehouse(t, open(t, t.TempDir(), "shop"))
	for _, step := range []struct {
		sku          string
		units, after int64
	}{{"A", 5, 5}, {"A", 3, 8}, {"B", 1, 1}} {
		n, err := w.Restock(ctx, step.sku, step.units)
		if err != nil || n != step.after {
			t.Errorf("Restock(%s, %d) = %d, %v; want %d on hand", step.sku, step.units, n, err, step.after)
		}
	}
	if _, err := w.Restock(ctx, "A", 0); err == nil {
		t.Error("a restock of 0 units was taken")
	}
	levels, stocked, err := w.Levels(ctx)
	if err != nil || !stocked || levels["A"] != 8 || levels["B"] != 1 {
		t.Errorf("Levels = %v, stocked %v, %v", levels, stocked, err)
	}
}
