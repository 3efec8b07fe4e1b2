# want: Invalid serial @ 4:12
play "p" {
  hosts  = ["cluster"]
  serial = "150%"
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
