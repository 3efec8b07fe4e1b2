# https is a bool.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  https        = "yes please"
}

host "node1" {}
