# want: Invalid for_each @ 5:16 ~ cannot register a result
play "p" {
  hosts = ["node1"]
  task "stop them" {
    for_each = ["Spooler", "W3SVC"]
    register = "stopped"
    service { name = each.value }
  }
}
