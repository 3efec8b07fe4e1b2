# A task for each host of the play, and one that runs on node1 for every
# host it is aimed at (like delegate_to).
play "targeting" {
  hosts = ["cluster"]

  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }

  task "ask node1 about this host" {
    on = "node1"
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}
