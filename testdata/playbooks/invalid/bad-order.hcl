# want: Invalid order @ 4:11 ~ Did you mean "sorted"?
play "p" {
  hosts = ["cluster"]
  order = "sortd"
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
