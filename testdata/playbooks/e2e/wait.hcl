# A task that waits for a state that never comes, until interrupted.
play "wait" {
  hosts = ["node1"]

  task "wait for the spooler to stop" {
    ignore_errors = true
    wait_for {
      service = "Spooler"
      state   = "stopped"
      timeout = "1m"
    }
  }

  task "never reached" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}
