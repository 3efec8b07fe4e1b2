# want: Missing module @ 4:3
play "p" {
  hosts = ["node1"]
  task "nothing" {
    retries = 2
  }
}
