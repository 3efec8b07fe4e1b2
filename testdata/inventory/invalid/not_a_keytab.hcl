# keytab must name a keytab file, not a password file or a certificate.
connection {
  transport = "kerberos"
  user      = "svc-winplay@CORP.EXAMPLE"
  keytab    = "../corp-ca.pem"
}

host "node1" {}
