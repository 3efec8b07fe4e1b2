# want: Invalid single-argument block definition @ 5:32
play "broken" {
  hosts = ["node1"]
  task "x" {
    service { name = "Spooler" state = "stopped" }
  }
}
