# A listing field named like a stock or price write, and typos in channel
# config blocks: each is an error at its line, found without credentials.
channel "shop" {
  type = "sandbox"
  config {
    batch_sise = 500
    latency    = 20
  }
}

channel "regional" {
  type = "file"
  config {
    export = env("REGIONAL_EXPORT")
    outbx  = "out.csv"
  }
}

channel "legacy" {
  type = "file"
}

channel "web" {
  type = "sandbox"
}

catalog {
  file = "products.csv"
}

listing {
  title    = product.title
  quantity = "8"
  channel "web" {
    price = "1.00"
  }
}
