# Black Friday on headphones, funded by the manufacturer: at least 15% off
# (the partner's condition), never more than 30%.
promotion "black_friday_audio" {
  starts       = "2026-11-27T00:00:00"
  ends         = "2026-12-01T00:00:00"
  channels     = ["webshop", "marketplace"]
  where        = product.category == "headphones"
  discount     = "20%"
  partner      = "acme-audio"
  min_discount = "15%"
  max_discount = "30%"
}

# A weekend bundle deal on speakers, web shop only, at a higher priority.
promotion "speaker_weekend" {
  starts   = "2026-11-28T00:00:00"
  ends     = "2026-11-30T00:00:00"
  channels = ["webshop"]
  skus     = ["SP-MINI", "SP-BOOM"]
  discount = "10.00"
  priority = 10
}
