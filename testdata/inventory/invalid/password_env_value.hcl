# password_env names a variable; this looks like the password itself.
connection {
  user         = "lab"
  password_env = "Passw0rd!"
}

host "node1" {}
