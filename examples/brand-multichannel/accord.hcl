# Northwind Audio sells its headphones, earbuds and speakers on its own
# Shopify store, Amazon (fulfilled by Amazon), TikTok Shop and Walmart, from
# one warehouse. Credentials come only from the environment; `accord
# validate`, `desired`, `explain` and `calendar` need none of them.

settings {
  currency = "USD"
  timezone = "America/Los_Angeles"
}

# orders_per_day is each channel's typical order rate: accord report uses it
# to estimate how likely an oversell is between two syncs.
channel "shopify" {
  type           = "shopify"
  orders_per_day = 60
  config {
    shop         = "northwind-audio"
    api_version  = "2026-01"
    access_token = env("SHOPIFY_ACCESS_TOKEN")
  }
}

# Amazon knows the products by their FBA seller SKUs.
channel "amazon_us" {
  type           = "amazon"
  sku_column     = "amazon_sku"
  orders_per_day = 240
  config {
    region         = "na"
    marketplace_id = "ATVPDKIKX0DER"
    seller_id      = env("AMAZON_SELLER_ID")
    client_id      = env("AMAZON_LWA_CLIENT_ID")
    client_secret  = env("AMAZON_LWA_CLIENT_SECRET")
    refresh_token  = env("AMAZON_REFRESH_TOKEN")
  }
  # Amazon rewrites titles on its own (its catalogue contributions win): neither
  # fight it nor report it, or every title would be an exception all the time.
  drift {
    fields = "ignore"
  }
}

channel "tiktok" {
  type           = "tiktok"
  orders_per_day = 120
  config {
    app_key       = env("TIKTOK_APP_KEY")
    app_secret    = env("TIKTOK_APP_SECRET")
    refresh_token = env("TIKTOK_REFRESH_TOKEN")
    shop_cipher   = "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3"
    warehouse_id  = "7310000000000000001"
  }
}

channel "walmart" {
  type           = "walmart"
  orders_per_day = 45
  config {
    client_id     = env("WALMART_CLIENT_ID")
    client_secret = env("WALMART_CLIENT_SECRET")
  }
}

catalog {
  file = "products.csv"
}

stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
