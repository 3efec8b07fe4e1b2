# A host block on one line holds its password on the line of its header.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" { password = "Sup3rSecret!" }
