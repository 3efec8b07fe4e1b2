# Expressions see what the run learnt of each host's Windows.
play "facts" {
  hosts = ["all"]

  task "the facts are the host's" {
    assert {
      that = [
        host.facts.system_root != "",
        host.facts.os_version != "",
        host.facts.has_wmic || host.facts.powershell_version != "",
      ]
    }
  }
  task "a task only where wmic is gone" {
    when = !host.facts.has_wmic
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}
