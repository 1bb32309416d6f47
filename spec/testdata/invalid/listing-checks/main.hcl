settings {
  currency = "USD"
}

channel "shopify" {
  type = "shopify"
}

channel "amazon_us" {
  type = "amazon"
}

catalog {
  file = "products.csv"
}

listing {
  title      = "${product.brand} ${product.titel}"
  max_length = { titel = 80 }
  shared     = ["gtin"]

  channel "ebay" {
    title = product.title
  }
}
