settings {
  currency = "USD"
  timezone = "Mars/Olympus"
}

channel "shop" {
  type = "shopfiy"
}

channel "jp" {
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
}

channel "eu" {
  type     = "amazon"
  config {
    region         = "na"
    marketplace_id = "ATVPDKIKX0DER"
    seller_id      = env("AMAZON_SELLER_ID")
    client_id      = env("AMAZON_LWA_CLIENT_ID")
    client_secret  = env("AMAZON_LWA_CLIENT_SECRET")
    refresh_token  = env("AMAZON_REFRESH_TOKEN")
  }
  currency = "EUR"
  fx_rate  = 0
}
