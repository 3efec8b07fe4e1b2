# want: Unknown name @ 5:12 ~ Did you mean "clussvc"?
play "p" {
  hosts = ["node1"]
  task "start" {
    when = clusvc.changed
    service { name = "Spooler" }
  }
  task "stop" {
    register = "clussvc"
    service { name = "ClusSvc" }
  }
}
