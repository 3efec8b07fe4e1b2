# IISSYNC from node1 to node2, as the connection's user with full
# credentials (become): the WinRM session alone cannot reach node2.
play "sync" {
  hosts = ["node1"]

  task "IISSYNC to node2" {
    become {}
    iissync {
      target = "node2"
    }
  }
}
