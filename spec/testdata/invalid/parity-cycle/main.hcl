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

parity "a" {
  channel = "amazon_us"
  against = ["shopify"]
  max_gap = "5%"
}

parity "b" {
  channel = "shopify"
  against = ["amazon_us"]
  max_gap = "5%"
}
