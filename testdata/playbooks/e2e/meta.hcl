# The meta-arguments, each in a form a test can see in the lab's logs.
variable "service" {
  default = "Spooler"
}

play "meta" {
  hosts = ["cluster"]

  task "read the service" {
    register = "spooler"
    tags     = ["read"]
    command {
      argv      = ["sc", "query", var.service]
      read_only = true
    }
  }

  task "only where the service runs" {
    when = strcontains(spooler.stdout, "RUNNING")
    tags = ["change"]
    service {
      name  = var.service
      state = "stopped"
    }
  }

  task "once for the whole play" {
    run_once = true
    command {
      argv      = ["whoami"]
      read_only = true
    }
  }

  task "a failure that is ignored" {
    ignore_errors = true
    command {
      line = "exit /b 5"
    }
  }

  task "retried until the service is stopped" {
    register = "after"
    retries  = 3
    delay    = "10ms"
    until    = strcontains(after.stdout, "STOPPED")
    command {
      argv      = ["sc", "query", var.service]
      read_only = true
    }
  }

  task "runs even in check mode" {
    check_mode = false
    tags       = ["read"]
    command {
      line = "echo checked> C:\\WINNT\\Temp\\check.txt"
    }
  }
}
