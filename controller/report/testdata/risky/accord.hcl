# A spec built to carry one of each risk the report looks for.
settings {
  currency = "USD"
  timezone = "UTC"
}

# A busy marketplace with no buffer: its writes are not compare-and-set.
channel "amazon_us" {
  type           = "amazon"
  config {
    region         = "na"
    marketplace_id = "ATVPDKIKX0DER"
    seller_id      = env("AMAZON_SELLER_ID")
    client_id      = env("AMAZON_LWA_CLIENT_ID")
    client_secret  = env("AMAZON_LWA_CLIENT_SECRET")
    refresh_token  = env("AMAZON_REFRESH_TOKEN")
  }
  orders_per_day = 4000
}

# The web shop, on the sandbox: compare-and-set, so no overwrite risk.
channel "web" {
  type = "sandbox"
}

# A regional feed whose order rate nobody wrote down.
channel "regional" {
  type = "file"
  config {
    export = "regional.csv"
  }
}

catalog {
  file = "products.csv"
}

stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}

pool "main" {
  source   = "warehouse"
  channels = ["amazon_us", "web", "regional"]
  channel "web" {
    buffer = 3
  }
  channel "regional" {
    buffer = 4
  }
}

price_matrix "default" {
  rounding  = "none"
  map_floor = true
  anchor    = "web"
  channel "amazon_us" {
    adjust = "+30%"
  }
}

parity "amazon_fair_pricing" {
  channel      = "amazon_us"
  against      = ["web"]
  max_gap      = "10%"
  on_violation = "warn"
}

# Deeper than MAP allows on one SKU: held at the floor.
promotion "winter" {
  starts   = "2026-12-10T00:00:00Z"
  ends     = "2026-12-20T00:00:00Z"
  channels = ["web"]
  skus     = ["B"]
  discount = "40%"
}

listing {
  title = product.title
}
