# want: Invalid on @ 5:10 ~ Did you mean "node1"?
play "p" {
  hosts = ["node2"]
  task "sync from the healthy node" {
    on = "nod1"
    service { name = "Spooler" }
  }
}
