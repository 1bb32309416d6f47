# The webhook's address is read from the environment when accord run
# starts; validate needs no secret, so none is set while this loads.
channel "shop" {
  type = "sandbox"
}

catalog {
  file = "products.csv"
}

notify "ops" {
  url          = env("ACCORD_SLACK_WEBHOOK")
  events       = ["exception_opened", "apply_failed", "commit_refused", "plan_pending"]
  min_severity = "warning"
  format       = "slack"
}

notify "audit" {
  url          = "https://audit.example.com/accord/events"
  min_severity = "info"
}
