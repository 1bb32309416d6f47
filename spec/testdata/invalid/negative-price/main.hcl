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

product "HP-09" {
  price = -4.00
  title = "Refurbished Headphones"
}
