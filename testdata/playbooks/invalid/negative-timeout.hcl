# want: Invalid duration @ 5:15 ~ not a negative one
play "p" {
  hosts = ["node1"]
  task "t" {
    timeout = -3
    command { argv = ["hostname"] }
  }
}
