# want: Empty task name @ 4:8 ~ needs a name
play "p" {
  hosts = ["node1"]
  task " " {
    command { argv = ["hostname"] }
  }
}
