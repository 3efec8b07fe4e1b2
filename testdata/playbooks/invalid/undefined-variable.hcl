# want: Undefined variable @ 6:10 ~ Did you mean "rebuilt"?
variable "rebuilt" { default = "node2" }
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    on = var.rebuit
    service { name = "Spooler" }
  }
}
