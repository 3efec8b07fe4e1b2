# want: Invalid service arguments @ 7:15 ~ started, stopped, restarted
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service {
      name  = "Spooler"
      state = "stoped"
    }
  }
}
