# want: Invalid reboot @ 6:14 ~ Did you mean "if_required"?
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service { name = "Spooler" }
    reboot = "if_requried"
  }
}
