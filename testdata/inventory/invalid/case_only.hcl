# Names that differ only in case are one Windows machine.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
host "NODE1" {}
