# Every host needs a user.
connection {
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
host "node2" {}
