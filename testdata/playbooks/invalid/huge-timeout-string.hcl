# want: Invalid duration @ 5:15 ~ at most 87600h0m0s
play "p" {
  hosts = ["node1"]
  task "t" {
    timeout = "100000h"
    command { argv = ["hostname"] }
  }
}
