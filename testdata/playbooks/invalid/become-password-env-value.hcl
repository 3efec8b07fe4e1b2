# want: Invalid password_env @ 6:22 ~ If the value is the password itself
play "p" {
  hosts = ["node1"]
  task "sync" {
    become {
      password_env = "Secret Pass!"
    }
    iissync { target = "node2" }
  }
}
