# An unclosed block.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"

host "node1" {}
