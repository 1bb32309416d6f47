variable "amazon_markup" {
  description = "Amazon's referral fee is passed on to the price."
  default     = "+8%"
}

# Shopify carries the list price and is the anchor every marketplace is
# measured against. Nothing is ever sold below the manufacturer's MAP or
# under a 20% margin over cost.
price_matrix "default" {
  rounding   = "0.99"
  map_floor  = true
  min_margin = "20%"
  anchor     = "shopify"

  # Wide enough for a flash sale that runs on Amazon and not on Shopify.
  channel "amazon_us" {
    adjust        = var.amazon_markup
    max_deviation = "20%"
  }

  channel "walmart" {
    adjust        = "+5%"
    max_deviation = "15%"
  }

  channel "tiktok" {
    adjust = "-3%"
  }
}

# Amazon's Fair Pricing Policy: an offer priced well above the same product
# elsewhere loses the Buy Box. Amazon's price is held within 5% of the
# lowest of the other channels, lowered when needed.
parity "amazon_fair_pricing" {
  channel      = "amazon_us"
  against      = ["shopify", "tiktok", "walmart"]
  max_gap      = "5%"
  on_violation = "match"
}

# Walmart unpublishes offers that fail its "reasonable price" check. The
# team wants to hear about a gap over 10% rather than have accord move the
# price.
parity "walmart_reasonable_price" {
  channel      = "walmart"
  against      = ["shopify"]
  max_gap      = "10%"
  on_violation = "warn"
}
