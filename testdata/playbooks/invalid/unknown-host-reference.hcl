# want: Unknown host @ 5:12 ~ Did you mean "node1"?
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    when = hosts.node3.name == "node3"
    service { name = "Spooler" }
  }
}
