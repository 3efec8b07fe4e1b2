# --start-at-task "second" skips the first play, and "first" in every
# batch of the rolling play; the play after runs whole.
play "before" {
  hosts = "cluster"

  task "earlier play" {
    command { argv = ["hostname"] }
  }
}

play "rolling" {
  hosts  = "cluster"
  serial = 1

  task "first" {
    command { argv = ["hostname"] }
  }

  task "second" {
    command { argv = ["whoami"] }
  }
}

play "after" {
  hosts = "cluster"

  task "later play" {
    command { argv = ["hostname"] }
  }
}
