# Changes that a second run must find already made.
play "settle" {
  hosts = ["cluster"]

  task "the cluster service is manual and stopped" {
    service {
      name       = "ClusSvc"
      state      = "stopped"
      start_mode = "manual"
    }
  }

  task "the ftp service is disabled" {
    service {
      name       = "MSFTPSVC"
      state      = "stopped"
      start_mode = "disabled"
    }
  }

  task "a marker file exists" {
    command {
      line    = "echo rebuilt> C:\\WINNT\\marker.txt"
      creates = "C:\\WINNT\\marker.txt"
    }
  }

  task "do not proceed until the cluster service is stopped" {
    wait_for {
      service = "ClusSvc"
      state   = "stopped"
      timeout = "30s"
    }
  }
}
