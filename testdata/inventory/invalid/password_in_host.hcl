# A password in a host block is refused like one in a connection block.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  password = "Passw0rd!"
}
