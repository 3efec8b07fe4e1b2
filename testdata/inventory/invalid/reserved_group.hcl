# "all" is implicit; its settings are the file's.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "all" { hosts = ["node1"] }
