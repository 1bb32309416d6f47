settings {
  currency = "USD"
  timezone = "Mars/Olympus"
}

channel "shop" {
  type = "shopfiy"
}

channel "jp" {
  type     = "amazon"
  currency = "JPY"
}

channel "eu" {
  type     = "amazon"
  currency = "EUR"
  fx_rate  = 0
}
