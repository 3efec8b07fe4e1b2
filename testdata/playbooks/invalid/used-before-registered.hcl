# want: Unknown name @ 5:12 ~ "clussvc" is registered only by a later task ("stop the cluster service")
play "p" {
  hosts = ["node1"]
  task "start spooler" {
    when = clussvc.changed
    service { name = "Spooler" }
  }
  task "stop the cluster service" {
    register = "clussvc"
    service { name = "ClusSvc" }
  }
}
