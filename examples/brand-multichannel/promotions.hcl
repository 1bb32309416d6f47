# A 24-hour TikTok flash sale on earbuds. It cascades to Amazon: run on
# TikTok alone, the 15% cut would put Amazon more than 5% above TikTok, and
# Amazon's fair-pricing parity would have to pull Amazon down anyway, at a
# different price and without a strike-through. Running it on both keeps
# the two in step, with the regular price shown crossed out.
promotion "tiktok_flash_earbuds" {
  starts   = "2026-11-28T09:00:00"
  ends     = "2026-11-29T09:00:00"
  channels = ["tiktok", "amazon_us"]
  where    = product.category == "earbuds"
  discount = "15%"
  priority = 10
}

# Northwind's manufacturer funds 25% off its headphones for the holidays,
# on every channel. Its terms: at least 15% off where it runs, and never
# more than 30% off the regular price.
promotion "holiday_headphones" {
  starts       = "2026-12-01T00:00:00"
  ends         = "2026-12-26T00:00:00"
  where        = product.brand == "Northwind" && product.category == "headphones"
  discount     = "25%"
  partner      = "northwind-mfg"
  min_discount = "15%"
  max_discount = "30%"
}

# A distributor-funded price on the portable speaker over the first December
# weekend, on Shopify and Walmart. Amazon is not in it, yet follows: its
# fair-pricing parity holds it within 5% of Shopify's 79.99.
promotion "speaker_weekend" {
  starts   = "2026-12-05T00:00:00"
  ends     = "2026-12-07T00:00:00"
  channels = ["shopify", "walmart"]
  skus     = ["NW-SPK-GO"]
  price    = 79.99
  partner  = "soundlink-distribution"
  priority = 5
}
