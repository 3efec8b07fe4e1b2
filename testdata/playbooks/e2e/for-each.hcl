# One task per element: stop several services with one task block.
variable "services" {
  default = { Spooler = "manual", MSFTPSVC = "disabled" }
}

play "stop" {
  hosts = ["node1"]

  task "stop" {
    for_each = var.services
    service {
      name       = each.key
      state      = "stopped"
      start_mode = each.value
    }
  }
}
