# want: Invalid group_member arguments @ 10:17 ~ read it as a switch
variable "group" {
  default = "/add"
}

play "p" {
  hosts = ["node1"]
  task "read the group" {
    group_member {
      name    = var.group
      members = ["Guest"]
    }
  }
}
