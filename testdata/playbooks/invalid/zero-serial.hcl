# want: Invalid serial @ 4:12
play "p" {
  hosts  = ["cluster"]
  serial = [1, 0]
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
