# A misspelt password is refused as a password, not as an unknown argument.
connection {
  user    = "lab"
  pasword = "Sup3rSecret!"
}

host "node1" {}
