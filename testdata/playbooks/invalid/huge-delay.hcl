# want: Invalid duration @ 7:15 ~ at most 315360000
play "p" {
  hosts = ["node1"]
  task "t" {
    retries = 2
    until   = self.ok
    delay   = 1e300
    command { argv = ["hostname"] }
  }
}
