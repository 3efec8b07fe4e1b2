# vars is an object.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

vars = "CORP"

host "node1" {}
