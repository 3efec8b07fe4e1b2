# The second play reads a result the first registers on the rebuilt node,
# as the shipped runbook does: --limit node1 leaves it unregistered.
variable "rebuilt" { default = "node2" }

play "isolate the rebuilt node" {
  hosts = [var.rebuilt]

  task "isolate it" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
    register = "isolated"
  }
}

play "on the healthy node" {
  hosts = "node1"

  task "only if the rebuilt node was isolated" {
    when = !hosts[var.rebuilt].isolated.skipped
    command { argv = ["hostname"] }
  }
}
