# want: Interpolated command line @ 6:22
variable "target" { default = "NODE2" }
play "p" {
  hosts = ["node1"]
  task "sync" {
    command { line = "iissync ${var.target}" }
  }
}
