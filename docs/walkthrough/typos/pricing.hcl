variable "marketplace_markup" {
  description = "Covers the marketplace's referral fee."
  default     = "+8%"
}

price_matrix "default" {
  rounding   = "0.99"
  map_floor  = true
  min_margin = "15%"
  anchor     = "webshop"

  channel "marketplace" {
    adjust        = var.marketplace_markup
    max_deviation = "12%"
  }

  channel "regional" {
    adjust = "+2.00"
  }

  # The cable bundle is a loss leader on the web shop only.
  override {
    sku     = "CB-USBC-2M"
    channel = "webshop"
    price   = 9.99
  }
}

# The marketplace suppresses offers that are priced well above the web shop.
parity "marketplace_fair_pricing" {
  channel      = "marketplace"
  against      = ["webshop"]
  max_gap      = "10%"
  on_violation = "match"
}
