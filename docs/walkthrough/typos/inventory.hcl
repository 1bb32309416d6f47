# All three channels sell from one warehouse. Two units of every SKU are
# never listed anywhere (returns, damaged stock), the marketplace shows 10%
# less than there is, and the regional feed, which updates only hourly, is
# capped at 20 units and stops listing when stock runs low.
pool "main" {
  source       = "warehouse"
  channels     = ["webshop", "marketplace", "regionl"]
  safety_stock = 2

  channel "marketplace" {
    buffer = "10%"
  }

  channel "regional" {
    max = 20
  }

  low_stock {
    threshold = 8
    channels  = ["webshop", "marketplace"]
  }
}
