# A port that is no TCP port.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  connection { port = 70000 }
}
