# IISSYNC from node1 to node2.
play "sync" {
  hosts = ["node1"]

  task "IISSYNC to node2" {
    iissync {
      target = "node2"
    }
  }
}
