# Precedence: defaults < file < groups by (depth, name) < host.
#
#   site (depth 1) ── dc (depth 2) ── rack (depth 3)
#   alpha, zulu (depth 1, unrelated)
connection {
  user              = "CORP\\file-user"
  password_env      = "WINPLAY_PASSWORD"
  connect_timeout   = "7s"
  operation_timeout = "90s"
}

vars = {
  level   = "file"
  file    = "yes"
  nested  = { from = "file", only_file = true }
  numbers = [1, 2]
}

host "h1" {
  vars = { level = "host" }
  connection { connect_timeout = "3s" }
}

host "h2" {}

host "h3" {
  address = "h3.corp.example"
}

host "h4" {}

group "rack" {
  hosts = ["h1"]
  vars  = { level = "rack", rack = "r1" }
  connection { user = "CORP\\rack-user" }
}

group "dc" {
  children = ["rack"]
  hosts    = ["h2"]
  vars     = { level = "dc", dc = "east", nested = { from = "dc" } }
  connection {
    user  = "CORP\\dc-user"
    https = true
  }
}

group "site" {
  children = ["dc"]
  vars     = { level = "site", site = "hq", numbers = [3] }
  connection { port = 15986 }
}

group "zulu" {
  hosts = ["h1", "h3"]
  vars  = { level = "zulu", letter = "z" }
}

group "alpha" {
  hosts = ["h1", "h3"]
  vars  = { level = "alpha", letter = "a" }
  connection {
    transport = "kerberos"
    https     = true
  }
}
