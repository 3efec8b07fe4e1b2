# A play whose last task cannot work on a later Windows: the host is
# refused before its first task changes anything.
play "rebuild" {
  hosts = ["node1"]

  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }
  task "IISSYNC to node2" {
    iissync {
      target = "node2"
    }
  }
}
