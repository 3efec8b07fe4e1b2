# want: Invalid hosts @ 3:11 ~ node3
play "p" {
  hosts = ["node3"]
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
