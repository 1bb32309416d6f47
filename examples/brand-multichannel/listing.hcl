# Titles are built from the catalog. Each channel has its own length limit:
# Amazon allows 200 characters and wants the colour in the title; Walmart's
# style guide asks for names under 75 characters, so there they are cut at a
# word boundary; everywhere else 150 is the house limit. The GTIN must be
# identical everywhere, or the marketplaces will not match the offers.
listing {
  title       = "${product.brand} ${product.title}"
  description = product.description
  gtin        = product.gtin
  shared      = ["gtin"]
  max_length  = { title = 150 }
  push_order  = ["shopify", "amazon_us", "tiktok", "walmart"]

  channel "amazon_us" {
    title      = "${product.brand} ${product.title}, ${title(product.attributes.color)}"
    max_length = { title = 200 }
  }

  channel "walmart" {
    max_length = { title = 75 }
    truncate   = true
  }
}

drift {
  quantity = "correct"
  price    = "correct"
  fields   = "report"
}

guard {
  max_changes    = 5000
  max_price_drop = "35%"
}
