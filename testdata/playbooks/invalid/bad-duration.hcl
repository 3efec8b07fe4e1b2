# want: Invalid wait_for arguments @ 8:17 ~ not a duration
play "p" {
  hosts = ["node1"]
  task "wait" {
    wait_for {
      service = "ClusSvc"
      state   = "stopped"
      timeout = "two minutes"
    }
  }
}
