# Gates after a change: in a dry run the first two can hold only because
# the task before them would stop the spooler; the last one is about a
# service no task touches, so a dry run must fail it as the real run will.
play "gates" {
  hosts = "cluster"

  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }

  task "the spooler is stopped" {
    assert {
      service = "Spooler"
      state   = "stopped"
    }
  }

  task "wait for the spooler to stop" {
    wait_for {
      service = "Spooler"
      state   = "stopped"
      timeout = "1s"
    }
  }

  task "the web service runs" {
    assert {
      service = "W3SVC"
      state   = "running"
    }
  }
}
