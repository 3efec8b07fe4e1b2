# One command per host, each held up by the test in the lab: how many run
# at once is what --forks allows.
play "wide" {
  hosts = "all"

  task "hostname" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}
