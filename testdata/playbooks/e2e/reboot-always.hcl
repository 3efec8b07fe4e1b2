# reboot = "always" reboots after the module, whatever it reports.
play "reboot" {
  hosts = ["node1"]

  task "read the name, then reboot" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
    reboot = "always"
  }

  task "the host is back" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}
