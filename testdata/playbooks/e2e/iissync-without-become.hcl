# IISSYNC from node1 to node2 in the WinRM session itself, which holds no
# credentials to present to node2: the double hop.
play "sync" {
  hosts = ["node1"]

  task "IISSYNC to node2" {
    iissync {
      target = "node2"
    }
  }
}
