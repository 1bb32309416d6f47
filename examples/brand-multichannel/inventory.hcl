# One warehouse feeds every channel. Three units of each SKU are held back
# for returns and damage. Shopify, the brand's own store, has five units
# ring-fenced; Amazon lists 10% less than there is, because FBA stock in
# transit is counted before it is sellable; Walmart updates slowly, so it
# lists two units less; TikTok flash sales sell out in minutes, so it never
# shows more than 25.
#
# When fewer than 10 units are left, only Shopify keeps selling: the last
# units go to the channel where an oversell costs least.
pool "us_main" {
  source       = "warehouse"
  channels     = ["shopify", "amazon_us", "tiktok", "walmart"]
  safety_stock = 3

  channel "shopify" {
    reserve = 5
  }

  channel "amazon_us" {
    buffer = "10%"
  }

  channel "walmart" {
    buffer = 2
  }

  channel "tiktok" {
    max = 25
  }

  low_stock {
    threshold = 10
    channels  = ["shopify"]
  }
}
