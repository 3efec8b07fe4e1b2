# A service principal names the service class and the host.
connection {
  transport    = "kerberos"
  user         = "svc-winplay@CORP.EXAMPLE"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  address = "10.1.0.11"
  connection { spn = "node1.corp.example" }
}
