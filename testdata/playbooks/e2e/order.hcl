# One host at a time in the play's order; each host's command shows in
# the lab's logs when it ran.
play "reverse sorted" {
  hosts  = "all"
  order  = "reverse_sorted"
  serial = 1

  task "one host at a time" {
    command { argv = ["hostname"] }
  }
}
