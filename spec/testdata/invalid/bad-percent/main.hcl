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

stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}

pool "main" {
  channels = ["shopify", "amazon_us"]

  channel "amazon_us" {
    buffer = "8 %"
  }
}
