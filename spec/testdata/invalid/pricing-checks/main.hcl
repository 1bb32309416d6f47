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

channel "amazon_jp" {
  type     = "amazon"
  config {
    region         = "na"
    marketplace_id = "ATVPDKIKX0DER"
    seller_id      = env("AMAZON_SELLER_ID")
    client_id      = env("AMAZON_LWA_CLIENT_ID")
    client_secret  = env("AMAZON_LWA_CLIENT_SECRET")
    refresh_token  = env("AMAZON_REFRESH_TOKEN")
  }
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
