# A number this large would take minutes and megabytes to write out.
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}

host "node1" {
  vars = { replicas = 1e99999999 }
}
