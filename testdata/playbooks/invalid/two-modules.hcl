# want: More than one module @ 6:5
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service { name = "Spooler" }
    command { argv = ["hostname"] }
  }
}
