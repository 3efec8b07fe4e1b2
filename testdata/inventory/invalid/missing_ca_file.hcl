# ca_file is relative to this file, and must exist.
connection {
  https        = true
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  ca_file      = "missing-ca.pem"
}

host "node1" {}
