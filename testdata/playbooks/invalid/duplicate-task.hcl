# want: Duplicate task name @ 7:8
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service { name = "Spooler" }
  }
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
