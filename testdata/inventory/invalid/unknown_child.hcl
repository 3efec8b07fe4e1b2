# A group nests a group that is not defined.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "web" { hosts = ["node1"] }

group "cluster" {
  children = ["webs"]
}
