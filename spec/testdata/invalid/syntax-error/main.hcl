channel "shopify" {
  type = "shopify"
  config {
    shop         = "acme-audio"
    access_token = env("SHOPIFY_ACCESS_TOKEN")
  }
