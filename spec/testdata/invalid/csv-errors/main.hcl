catalog {
  file = "products.csv"
}
