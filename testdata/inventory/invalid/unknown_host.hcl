# A group lists a host that is not defined.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
host "node2" {}

group "cluster" {
  hosts = ["node1", "node3"]
}
