# want: Invalid become user @ 5:21 ~ double quote
play "p" {
  hosts = ["node1"]
  task "sync" {
    become { user = "CORP\\\"svc" }
    iissync { target = "node2" }
  }
}
