# want: Invalid service arguments @ 6:14 ~ double quote
play "p" {
  hosts = ["node1"]
  task "stop spooler" {
    service {
      name = "Spooler\" & del C:\\boot.ini & \""
    }
  }
}
