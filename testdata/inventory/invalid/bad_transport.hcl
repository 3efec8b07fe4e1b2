# Transports are lower case.
connection {
  transport    = "NTLM"
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
