# One name for a host and a group.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "web" {}

group "web" { hosts = ["web"] }
