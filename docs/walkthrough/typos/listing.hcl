listing {
  title       = "${product.brand} ${product.title}"
  description = product.description
  gtin        = product.gtin
  shared      = ["gtin"]
  max_length  = { title = 60 }
  truncate    = true
  push_order  = ["webshop", "marketplace", "regional"]

  channel "marketplace" {
    title = "${product.brand} ${product.title} - ${title(product.attributes.color)}"
  }
}

drift {
  quantity = "correct"
  price    = "correct"
  fields   = "report"
}

guard {
  max_changes    = 1000
  max_price_drop = "40%"
}
