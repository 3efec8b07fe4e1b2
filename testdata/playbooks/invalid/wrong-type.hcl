# want: Incorrect attribute value type @ 6:15
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service { name = "Spooler" }
    retries = "three"
  }
}
