# want: Duplicate become block @ 6:5 ~ a task runs as one user
play "p" {
  hosts = ["node1"]
  task "sync" {
    become {}
    become { user = "CORP\\svc-iis" }
    iissync { target = "node2" }
  }
}
