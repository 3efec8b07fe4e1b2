# want: Unknown variable @ 5:22 ~ There is no variable named "each"
play "p" {
  hosts = ["node1"]
  task "stop it" {
    service { name = each.value }
  }
}
