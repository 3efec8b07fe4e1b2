# hosts lists hosts, not groups.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "web" { hosts = ["node1"] }

group "cluster" {
  hosts = ["web"]
}
