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

promotion "bf" {
  starts   = "2026-11-27T00:00:00"
  ends     = "2026-11-20T00:00:00"
  discount = "20%"
}
