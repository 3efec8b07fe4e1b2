# children lists groups, not hosts.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "cluster" {
  children = ["node1"]
}
