# A keytab logs on to Kerberos; an NTLM host has no use for it.
connection {
  transport = "ntlm"
  user      = "svc-winplay@CORP.EXAMPLE"
  keytab    = "../svc-winplay.keytab"
}

host "node1" {}
