# Hosts and groups for host pattern tests.
connection {
  user         = "CORP\\svc-winplay"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
host "node2" {}
host "web1" {}
host "web2" {}
host "db1" {}
host "lonely" {}

group "cluster" {
  hosts    = ["node1", "node2"]
  children = ["web"]
}

group "web" { hosts = ["web1", "web2", "node2"] }
group "db" { hosts = ["db1"] }
group "empty" {}
