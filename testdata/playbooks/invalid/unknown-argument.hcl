# want: Unsupported argument @ 6:7 ~ Did you mean "name"?
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service {
      nmae  = "Spooler"
      state = "stopped"
    }
  }
}
