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

channel "tiktok" {
  tpye = "tiktok"
}
