# hosts is a list.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "cluster" {
  hosts = { node1 = true }
}
