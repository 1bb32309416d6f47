channel "shop" {
  type = "sandbox"
}

catalog {
  file = "products.csv"
}

notify "ops" {
  url          = env("ACCORD_SLACK_WEBHOOK")
  events       = ["exception_opened", "apply_faild", "plan_pending", "plan_pending"]
  min_severity = "warn"
  format       = "teams"
}

notify "ops" {
  url = env("ACCORD_OTHER_WEBHOOK")
}

notify "pager" {
  events = []
}

notify "ftp" {
  url = "ftp://alerts.example.com/accord"
}

notify "leaky" {
  url    = "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
  format = "slack"
}

notify "no-scheme" {
  url = "hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
}

notify "typed" {
  url   = 42
  evnts = ["apply_failed"]
}
