# want: Unsupported block type @ 5:5 ~ Did you mean "service"?
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    servce {
      name = "Spooler"
    }
  }
}
