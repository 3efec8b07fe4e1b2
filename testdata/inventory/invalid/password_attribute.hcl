# Secrets never live in the file.
connection {
  user     = "lab"
  password = "Passw0rd!"
}

host "node1" {}
