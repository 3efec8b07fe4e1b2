# One host, everything else from the built-in defaults.
connection {
  user         = "lab"
  password_env = "WINPLAY_LAB_PASSWORD"
}

host "node1" {}
