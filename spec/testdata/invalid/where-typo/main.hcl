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

promotion "audio" {
  starts   = "2026-11-27T00:00:00"
  ends     = "2026-12-01T00:00:00"
  where    = product.categroy == "audio"
  discount = "10%"
}
