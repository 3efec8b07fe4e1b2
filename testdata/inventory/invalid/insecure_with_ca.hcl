# insecure turns verification off; ca_file asks for it.
connection {
  https        = true
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  ca_file      = "../corp-ca.pem"
}

host "node1" {
  connection { insecure = true }
}
