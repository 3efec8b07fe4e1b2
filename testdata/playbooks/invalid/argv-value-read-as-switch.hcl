# want: Invalid command arguments @ 10:14 ~ element 3 comes from a value
variable "group" {
  default = "/add"
}

play "p" {
  hosts = ["node1"]
  task "read the group" {
    command {
      argv = ["net", "localgroup", var.group]
    }
  }
}
