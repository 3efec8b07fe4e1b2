# The port goes in the connection block.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  address = "10.1.0.11:5986"
}
