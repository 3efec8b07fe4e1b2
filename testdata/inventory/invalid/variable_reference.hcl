# The file is static: no variables.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  vars = { role = var.role }
}
