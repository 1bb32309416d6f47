settings {
  currency = "USD"
}

channel "shopify" {
  type = "shopify"
}

channel "amazon_us" {
  type = "amazon"
}

catalog {
  file = "products.csv"
}

channel "amazon_jp" {
  type     = "amazon"
  currency = "JPY"
  fx_rate  = 150
}

price_matrix "default" {
  rounding   = "0.99"
  min_margin = "100%"

  channel "amazon_us" {
    adjust        = "+ 8%"
    max_deviation = "10%"
  }

  override {
    sku     = "HP-99"
    channel = "shopify"
    price   = 10.00
  }
}

price_matrix "clearance" {
  skus = ["HP-01"]
}
