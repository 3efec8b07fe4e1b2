# A duration needs a unit.
connection {
  user            = "lab"
  password_env    = "WINPLAY_PASSWORD"
  connect_timeout = "5"
}

host "node1" {}
