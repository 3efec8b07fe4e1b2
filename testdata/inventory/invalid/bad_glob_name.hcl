# Glob characters in a group name would make patterns ambiguous.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "web[1]" {}
