# want: Invalid register name @ 6:16
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service { name = "Spooler" }
    register = "host"
  }
}
