# Nested groups that loop: a → b → c → a.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}

group "a" {
  hosts    = ["node1"]
  children = ["b"]
}

group "b" { children = ["c"] }

group "c" { children = ["a"] }
