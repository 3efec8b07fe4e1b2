# want: Unknown module @ 5:5 ~ winplay's module is "service"
play "p" {
  hosts = ["node1"]
  task "stop the cluster service" {
    win_service {
      name  = "ClusSvc"
      state = "stopped"
    }
  }
}
