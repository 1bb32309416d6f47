settings {
  currency = "USD"
}

channel "shopify" {
  type = "shopify"
  config {
    shop         = "acme-audio"
    access_token = env("SHOPIFY_ACCESS_TOKEN")
  }
}

channel "amazon_us" {
  type = "amazon"
  config {
    region         = "na"
    marketplace_id = "ATVPDKIKX0DER"
    seller_id      = env("AMAZON_SELLER_ID")
    client_id      = env("AMAZON_LWA_CLIENT_ID")
    client_secret  = env("AMAZON_LWA_CLIENT_SECRET")
    refresh_token  = env("AMAZON_REFRESH_TOKEN")
  }
}

catalog {
  file = "products.csv"
}

locals {
  a = local.b
  b = local.a
}
