password = "Sup3rSecret!"
# A file-level password on line 1, which stands for the whole file.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
