# node1 fails the first task; with any_errors_fatal nobody goes on.
play "fatal" {
  hosts            = ["cluster"]
  any_errors_fatal = true

  task "fail on node1" {
    when = host.name == "node1"
    command {
      line = "exit /b 3"
    }
  }

  task "start the spooler" {
    service {
      name  = "Spooler"
      state = "started"
    }
  }
}
