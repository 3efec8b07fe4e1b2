# want: Invalid when @ 5:12
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    when = "sometimes"
    service { name = "Spooler" }
  }
}
