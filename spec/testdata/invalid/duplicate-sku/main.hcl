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

product "HP-02" {
  price = 49.99
}
