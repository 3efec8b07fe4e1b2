# One connection block per level.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

connection {
  https = true
}

host "node1" {}
