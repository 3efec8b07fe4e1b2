# want: Invalid max_fail_percentage @ 4:25
play "p" {
  hosts               = ["cluster"]
  max_fail_percentage = 150
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
