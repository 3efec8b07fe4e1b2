# The task's timeout meta-argument bounds the whole task, retries
# included, below the module's own timeout. The failures are ignored so
# that the second play runs too. The retries get 1s, time for a few
# attempts on a loaded machine, and would need 5s to run out.
play "bounded" {
  hosts = ["node1"]

  task "wait longer than the task may take" {
    timeout       = "300ms"
    ignore_errors = true
    wait_for {
      service = "Spooler"
      state   = "stopped"
      timeout = "1m"
    }
  }
}

play "bounded retries" {
  hosts = ["node2"]

  task "retry longer than the task may take" {
    timeout       = "1s"
    ignore_errors = true
    retries       = 100
    delay         = "50ms"
    until         = self.rc == 1060
    command {
      argv      = ["sc", "query", "Spooler"]
      read_only = true
    }
  }
}
