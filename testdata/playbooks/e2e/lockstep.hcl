# Two tasks across the cluster: every host finishes the first before any
# host starts the second.
play "spooler down and up" {
  hosts = ["cluster"]

  task "stop the spooler" {
    service {
      name       = "Spooler"
      state      = "stopped"
      start_mode = "manual"
    }
  }

  task "start the spooler" {
    service {
      name       = "Spooler"
      state      = "started"
      start_mode = "auto"
    }
  }
}
