# want: Invalid command arguments @ 7:19 ~ sc stop changes the host
play "p" {
  hosts = ["node1"]
  task "looks like a read" {
    command {
      argv      = ["cmd", "/c", "sc stop W3SVC"]
      read_only = true
    }
  }
}
