channel "shopify" {
  type = "shopify"
