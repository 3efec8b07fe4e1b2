# Null is not a way to inherit; leaving the argument out is.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  connection { https = null }
}
