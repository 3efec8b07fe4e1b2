# A rolling stop behind a health gate, one node at a time: when node1
# fails the gate, its batch has failed as a whole and node2 is never
# taken down, nor does the next play run.
play "one node at a time" {
  hosts  = "cluster"
  serial = 1

  task "take the spooler down" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }

  task "health gate: the web service runs" {
    assert {
      service = "W3SVC"
      state   = "running"
    }
  }

  task "bring the spooler back" {
    service {
      name  = "Spooler"
      state = "started"
    }
  }
}

play "afterwards" {
  hosts = "cluster"

  task "never reached" {
    command { argv = ["hostname"] }
  }
}
