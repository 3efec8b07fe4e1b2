# want: Empty play name @ 2:6 ~ needs a name
play "" {
  hosts = ["node1"]
  task "t" {
    command { argv = ["hostname"] }
  }
}
