channel "ebay" {
  type = "ebay"
  config {
    marketplace_id = "EBAY_US"
    client_id      = env("EBAY_CLIENT_ID")
    client_secret  = "5a1c0ffee-not-in-git"
    refresh_token  = "v^1.1#i^1#r^1"
  }
}

channel "walmart" {
  type = "walmart"
  config {
    client_id     = "${env("WALMART_CLIENT_ID")}"
    client_secret = "literal"
  }
}

catalog {
  file = "products.csv"
}
