# A client certificate is presented in the TLS handshake.
connection {
  transport = "certificate"
  cert_file = "../client.pem"
  key_file  = "../client.key"
}

host "node1" {}
