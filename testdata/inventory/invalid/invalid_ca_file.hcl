# ca_file must hold a PEM certificate.
connection {
  https        = true
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  ca_file      = "../not-a-cert.pem"
}

host "node1" {}
