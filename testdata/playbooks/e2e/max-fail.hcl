# max_fail_percentage = 30 over four hosts: one failure (25%) goes on, a
# second (50%) stops the run.
play "tolerate one in four" {
  hosts               = "all"
  max_fail_percentage = 30

  task "fails on node1" {
    assert { that = [host.name != "node1"] }
  }

  task "still runs" {
    command { argv = ["hostname"] }
  }

  task "fails on node2" {
    assert { that = [host.name != "node2"] }
  }

  task "never reached" {
    command { argv = ["hostname"] }
  }
}
