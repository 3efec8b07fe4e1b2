# want: Invalid for_each @ 5:16 ~ It is number
play "p" {
  hosts = ["node1"]
  task "stop them" {
    for_each = 3
    service { name = "Spooler" }
  }
}
