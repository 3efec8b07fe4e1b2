# The runbook forbids it: IISSYNC run on the node being rebuilt.
play "sync the wrong way" {
  hosts = ["node2"]

  task "IISSYNC from the rebuilt node" {
    iissync {
      target  = "node1"
      rebuilt = "node2"
    }
  }
}
