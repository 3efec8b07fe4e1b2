# want: No value for required variable @ 2:1
variable "rebuilt" { description = "the node being rebuilt" }
play "p" {
  hosts = [var.rebuilt]
  task "stop spooler" {
    service { name = "Spooler" }
  }
}
