# The implicit groups cannot be nested.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "cluster" {
  children = ["ungrouped"]
}
