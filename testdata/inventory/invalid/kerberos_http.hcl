# Kerberos over plain HTTP would need message encryption.
connection {
  transport    = "kerberos"
  user         = "svc-winplay@CORP.EXAMPLE"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {}
