# A misspelt connection argument.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  tranport     = "ntlm"
}

host "node1" {}
