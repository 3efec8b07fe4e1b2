# Pattern characters cannot be part of a name.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "web*" {}
