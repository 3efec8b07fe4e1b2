# Take the Cluster service down and bring it back, one node at a time, so
# the cluster always keeps one node serving: the first steps of every
# cluster-node maintenance (Q241573 step 1 and its undo).
#
#   winplay run playbooks/cluster-service-cycle.hcl --lab
#   winplay run playbooks/cluster-service-cycle.hcl -i inventory.hcl -e nodes=cluster

variable "nodes" {
  description = "the cluster nodes to cycle, one at a time"
  default     = "cluster"
}

play "cycle the cluster service node by node" {
  hosts            = [var.nodes]
  serial           = 1
  any_errors_fatal = true

  task "stop the cluster service and set it to manual" {
    service {
      name       = "ClusSvc"
      state      = "stopped"
      start_mode = "manual"
    }
  }

  task "do not proceed until the cluster service is stopped" {
    wait_for {
      service = "ClusSvc"
      state   = "stopped"
      timeout = "2m"
    }
  }

  task "set the cluster service back to automatic and start it" {
    service {
      name       = "ClusSvc"
      state      = "started"
      start_mode = "auto"
    }
  }

  task "the node has rejoined: the cluster service runs" {
    assert {
      service = "ClusSvc"
      state   = "running"
    }
  }
}
