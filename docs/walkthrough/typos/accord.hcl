# Quickstart: a small audio brand selling on its own web shop, one
# marketplace and a regional marketplace fed by file upload. Every channel
# here is simulated (type "sandbox") or file-based, so nothing needs
# credentials.

settings {
  currency = "USD"
  timezone = "America/New_York"
}

channel "webshop" {
  type = "sandbox"
}

channel "marketplace" {
  type = "sandbox"
}

# A regional marketplace without an API: accord reads its export and writes
# an outbox file for the feed upload. It knows products by its own SKU.
channel "regional" {
  type       = "file"
  sku_column = "regional_sku"
  config {
    export = "regional-export.csv"         # the marketplace's nightly export
    outbox = ".accord/regional-outbox.csv" # what the next feed upload sends
  }
}

catalog {
  file = "products.csv"
}

# The sandbox warehouse: stocked once from stock.csv, then drawn down by
# orders (accord sandbox sell). A real spec reads its WMS export instead:
# type = "file", file = "stock.csv".
stock_source "warehouse" {
  type = "sandbox"
  file = "stock.csv"
}
