# A failure stops the play; its always tasks still run, on every host.
play "with cleanup" {
  hosts            = ["cluster"]
  any_errors_fatal = true

  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }

  task "fail on node1" {
    when = host.name == "node1"
    command {
      line = "exit /b 3"
    }
  }

  task "never reached" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }

  always {
    task "start the spooler again" {
      service {
        name  = "Spooler"
        state = "started"
      }
    }
  }
}
