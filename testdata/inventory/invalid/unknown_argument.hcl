# A misspelt argument: HCL suggests the right one.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  adress = "10.1.0.11"
}
