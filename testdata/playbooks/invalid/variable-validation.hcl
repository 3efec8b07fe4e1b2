# want: Invalid value for variable @ 5:21 ~ path must be rebuilt or corrupted
variable "path" {
  default = "corupted"
  validation {
    condition     = contains(["rebuilt", "corrupted"], var.path)
    error_message = "path must be rebuilt or corrupted."
  }
}

play "p" {
  hosts = ["node1"]
  task "t" {
    service { name = "Spooler" }
  }
}
