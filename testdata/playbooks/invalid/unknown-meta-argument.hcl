# want: Unsupported argument @ 6:5 ~ Did you mean "retries"?
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service { name = "Spooler" }
    retires = 3
  }
}
