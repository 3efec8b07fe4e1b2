# A password put in password_env, in a connection block on one line.
connection {
  user = "lab"
}

host "node1" {
  connection { password_env = "Sup3r Secret!" }
}
