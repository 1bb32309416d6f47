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

pool "retail" {
  channels = ["shopify", "amazon_us"]
}

pool "marketplaces" {
  channels = ["amazon_us"]
  skus     = ["HP-02"]
}
