# The ticket comes from one place.
connection {
  transport    = "kerberos"
  user         = "svc-winplay@CORP.EXAMPLE"
  keytab       = "../svc-winplay.keytab"
  ticket_cache = true
}

host "node1" {}
