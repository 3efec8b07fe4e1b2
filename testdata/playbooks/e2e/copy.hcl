# A file that ships beside the playbook, found wherever winplay runs from.
play "upload" {
  hosts = ["node1"]

  task "upload the answer file" {
    copy {
      src  = "${path.playbook}/files/unattend.ini"
      dest = "C:\\unattend\\optionpack.ini"
    }
  }
}
