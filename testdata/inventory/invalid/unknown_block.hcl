# A misspelt block type.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

hots "node1" {}
