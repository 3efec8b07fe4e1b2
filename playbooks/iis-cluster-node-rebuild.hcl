# Reinstall IIS 4.0 on one node of a two-node MSCS cluster: Microsoft
# Knowledge Base article Q241573, step by step, with its guards.
#
# Both of the article's paths:
#   path = "rebuilt"    the node was rebuilt after a failure: NT, the same
#                       service pack and the cluster are back, IIS is not;
#   path = "corrupted"  IIS on the node is corrupt: remove it first
#                       (Remove All, restart, reapply the service pack).
#
# Rehearse it against the lab, where node2 has just been rebuilt:
#   winplay run playbooks/iis-cluster-node-rebuild.hcl --lab --lab-profile node2=rebuilt \
#     -e rebuilt=node2 -e healthy=node1
# Then for real, first with --check --diff:
#   winplay run playbooks/iis-cluster-node-rebuild.hcl -i cluster.hcl \
#     -e rebuilt=node2 -e healthy=node1 --check --diff

variable "rebuilt" {
  description = "inventory name of the node IIS is reinstalled on"
}

variable "healthy" {
  description = "inventory name of the node that kept serving: the source of truth"
}

variable "rebuilt_computer_name" {
  description = "the rebuilt node's computer (NetBIOS) name, when it is not its inventory name"
  default     = null
}

variable "healthy_computer_name" {
  description = "the healthy node's computer (NetBIOS) name, when it is not its inventory name"
  default     = null
}

variable "path" {
  description = "rebuilt (fresh OS, no IIS) or corrupted (remove IIS first)"
  default     = "rebuilt"
  validation {
    condition     = contains(["rebuilt", "corrupted"], var.path)
    error_message = "path must be \"rebuilt\" or \"corrupted\"."
  }
}

variable "option_pack_setup" {
  description = "the Option Pack's setup program on the node"
  default     = "D:\\NTOPTPAK\\EN\\X86\\SETUP.EXE"
}

variable "install_type" {
  description = "the install type of the ORIGINAL installation: minimal, typical or custom"
  default     = "custom"
  validation {
    condition     = contains(["minimal", "typical", "custom"], var.install_type)
    error_message = "install_type must be minimal, typical or custom, as the original installation was."
  }
}

variable "components" {
  description = "for a custom install, the components the original installation had"
  type        = list(string)
  default     = ["iis_common", "iis_www", "iis_ftp", "mts_core"]
}

variable "service_pack" {
  description = "update.exe of the service pack the cluster runs"
  default     = "D:\\SP6\\UPDATE.EXE"
}

variable "service_pack_level" {
  description = "its CSDVersion"
  default     = "Service Pack 6"
}

variable "web_group" {
  description = "the cluster group with the IIS instances and MSDTC"
  default     = "Web Group"
}

variable "iis_resources" {
  description = "the group's resources whose Affect the group is unticked while the node is rebuilt"
  type        = list(string)
  default     = ["Web Server", "FTP Server", "MSDTC"]
}

variable "dtc_log_dir" {
  description = "MSDTC log directory on the group's shared disk"
  default     = "S:\\MSDTCLog"
}

variable "dtc_virtual_server" {
  description = "Network Name of the group MSDTC belongs to"
  default     = "WEBVS"
}

variable "mts_replication_share" {
  description = "administrative share of the drive MTS is installed on, on the rebuilt node"
  default     = "C$"
}

variable "iusr" {
  description = "the cluster's anonymous IIS account"
  default     = "CORP\\IUSR_CLUSTER"
}

variable "iwam" {
  description = "the cluster's IIS out-of-process account"
  default     = "CORP\\IWAM_CLUSTER"
}

variable "sync_user" {
  description = "the account IISSYNC runs as, an administrator of both nodes (CORP\\svc-iis); empty: the connection's user. Its password comes from WINPLAY_SYNC_PASSWORD or a prompt"
  default     = ""
}

# ---------------------------------------------------------------------------
play "take the rebuilt node out of the cluster" {
  hosts            = [var.rebuilt]
  any_errors_fatal = true

  # The guards run in this play, aimed at the healthy node with `on`, so
  # that --limit on the rebuilt node cannot skip them.
  task "the healthy node is not the node being rebuilt" {
    assert {
      that     = [var.healthy != var.rebuilt]
      fail_msg = "healthy and rebuilt name the same node"
    }
  }

  task "the healthy node runs the cluster and IIS" {
    on = var.healthy
    assert {
      service = "ClusSvc"
      state   = "running"
    }
  }

  task "the healthy node serves the web" {
    on = var.healthy
    assert {
      service = "W3SVC"
      state   = "running"
    }
  }

  task "the healthy node is up in the cluster" {
    on = var.healthy
    cluster {
      node   = upper(coalesce(var.healthy_computer_name, var.healthy))
      status = "up"
    }
  }

  task "read the web group's owner on the healthy node" {
    on       = var.healthy
    register = "web_group"
    command {
      argv      = ["cluster", "group", var.web_group]
      read_only = true
    }
  }

  # cluster.exe pads its columns with spaces: " NODE1 " is the owner
  # column, where a bare substring would also match NODE10.
  task "the healthy node owns the web group" {
    assert {
      that     = [strcontains(upper(web_group.stdout), " ${upper(coalesce(var.healthy_computer_name, var.healthy))} ")]
      fail_msg = "the group ${var.web_group} is not on ${upper(coalesce(var.healthy_computer_name, var.healthy))}, so it is not the node that kept serving; move the group there, or swap rebuilt and healthy"
    }
  }

  # What the node needs decides whether it leaves the cluster at all, so
  # that a second run, with nothing left to do, changes nothing.
  task "does IIS need installing?" {
    check_mode = true
    register   = "iis_needed"
    option_pack {
      setup        = var.option_pack_setup
      install_type = var.install_type
      components   = var.components
    }
  }

  task "does the service pack need reapplying?" {
    check_mode = true
    register   = "sp_needed"
    service_pack {
      path    = var.service_pack
      level   = var.service_pack_level
      reapply = true
      file_versions = {
        "C:\\WINNT\\system32\\inetsrv\\w3svc.dll" = "4.2.739.1"
      }
    }
  }

  task "is the IIS Admin service broken?" {
    register = "iisadmin"
    command {
      argv          = ["sc", "query", "IISADMIN"]
      read_only     = true
      success_codes = [0, 1060]
    }
  }

  task "stop the cluster service and set it to manual" {
    register = "isolated"
    when = (iis_needed.changed || sp_needed.changed ||
    (var.path == "corrupted" && !strcontains(iisadmin.stdout, "RUNNING")))
    service {
      name       = "ClusSvc"
      state      = "stopped"
      start_mode = "manual"
    }
  }

  # IT IS EXTREMELY IMPORTANT YOU DO NOT PROCEED UNTIL YOU ARE CERTAIN THAT
  # THE CLUSTER SERVICE IS STOPPED.
  task "do not proceed until the cluster service is stopped" {
    when = !isolated.skipped
    wait_for {
      service = "ClusSvc"
      state   = "stopped"
      timeout = "5m"
    }
  }

  task "remove the corrupted IIS (Remove All)" {
    when = var.path == "corrupted" && !isolated.skipped
    option_pack {
      setup = var.option_pack_setup
      state = "absent"
    }
    reboot = "if_required"
  }

  task "reapply the service pack after the removal" {
    when = var.path == "corrupted" && !isolated.skipped
    service_pack {
      path    = var.service_pack
      level   = var.service_pack_level
      reapply = true
    }
    reboot = "if_required"
  }

  task "install the option pack as it was originally installed" {
    option_pack {
      setup        = var.option_pack_setup
      install_type = var.install_type
      components   = var.components
    }
    reboot = "if_required"
  }

  task "reapply the service pack over the new IIS files" {
    service_pack {
      path    = var.service_pack
      level   = var.service_pack_level
      reapply = true
      file_versions = {
        "C:\\WINNT\\system32\\inetsrv\\w3svc.dll" = "4.2.739.1"
      }
    }
    reboot = "if_required"
  }

  task "the cluster service is still stopped after the restarts" {
    when = !isolated.skipped
    assert {
      service    = "ClusSvc"
      state      = "stopped"
      start_mode = "manual"
    }
  }

  task "start the cluster service and set it back to automatic" {
    service {
      name       = "ClusSvc"
      state      = "started"
      start_mode = "auto"
    }
  }

  task "the node has rejoined the cluster" {
    cluster {
      node    = upper(coalesce(var.rebuilt_computer_name, var.rebuilt))
      status  = "up"
      timeout = "5m"
    }
  }
}

# ---------------------------------------------------------------------------
# Everything from here on is driven from the healthy node, which holds the
# cluster's groups; steps that belong on the rebuilt node go there with
# `on`. The always block restores "Affect the group" even if a step fails.
play "recluster IIS from the healthy node" {
  hosts            = [var.healthy]
  any_errors_fatal = true

  # What is left to do decides whether the groups move at all: the node
  # was just taken out and rebuilt, or a run that stopped part way left
  # MSDTC or the IIS settings to finish. A second run, with nothing left,
  # moves nothing.
  task "does the rebuilt node still need to join the clustered MSDTC?" {
    on         = var.rebuilt
    check_mode = true
    register   = "dtc_needed"
    msdtc {
      state          = "joined"
      virtual_server = var.dtc_virtual_server
    }
  }

  task "does the rebuilt node still need the working node's IIS settings?" {
    check_mode = true
    register   = "sync_needed"
    iissync {
      target  = var.rebuilt
      rebuilt = var.rebuilt
    }
  }

  # Before any group moves: a resource that fails on the rebuilt node
  # must not drag its group back and forth.
  task "untick Affect the group" {
    for_each = var.iis_resources
    when     = !hosts[var.rebuilt].isolated.skipped || dtc_needed.changed || sync_needed.changed
    cluster {
      resource         = each.value
      affect_the_group = false
    }
  }

  # The article's manual method removes MSDTC on both nodes, reinstalls it
  # clustered on the working node and joins the rebuilt one. Here the
  # working node's MSDTC is removed and reinstalled only when it is not
  # the clustered install with this log directory and virtual server:
  # removing a correct one would fail the serving group's MSDTC resource
  # for nothing. The join removes the rebuilt node's standalone MSDTC
  # (msdtc -remove) before msdtc -join, as the article's steps 4 and 6 do.
  task "the clustered MSDTC is installed on the healthy node" {
    msdtc {
      state          = "installed"
      clustered      = true
      log_dir        = var.dtc_log_dir
      virtual_server = var.dtc_virtual_server
    }
  }

  task "the rebuilt node joins the clustered MSDTC" {
    on = var.rebuilt
    msdtc {
      state          = "joined"
      virtual_server = var.dtc_virtual_server
    }
  }

  task "the MSDTC resource is online" {
    cluster {
      resource = "MSDTC"
      state    = "online"
    }
  }

  # IISSYNC replicates the MTS catalog too: the working node's MTS
  # replication must point at the rebuilt node ("Configuring IIS after
  # Installation": the Replication Share and Remote Server Name boxes).
  task "MTS replication share on the working node" {
    registry {
      key  = "HKLM\\SOFTWARE\\Microsoft\\Transaction Server\\Replication"
      name = "ReplicationShare"
      data = var.mts_replication_share
    }
  }

  task "MTS replication on the working node targets the rebuilt node" {
    registry {
      key  = "HKLM\\SOFTWARE\\Microsoft\\Transaction Server\\Replication"
      name = "RemoteServerName"
      data = upper(coalesce(var.rebuilt_computer_name, var.rebuilt))
    }
  }

  # DO NOT RUN IISSYNC FROM THE NEW INSTALLATION OF IIS YOU JUST INSTALLED.
  # The module runs only here, on the working node, and requires status 0.
  #
  # IISSYNC writes the rebuilt node's metabase with the credentials of the
  # session it runs in. A WinRM session (NTLM, or Kerberos without
  # delegation) has none to present to another host, so on a real cluster
  # it fails with status 5, access denied: the double hop. become runs it
  # as a scheduled task that logs on with a password, which holds them:
  # var.sync_user's, from $WINPLAY_SYNC_PASSWORD or a prompt, or without
  # sync_user the connection's user with its inventory password (or
  # $WINPLAY_SYNC_PASSWORD when set). Its reads stay in the WinRM session.
  task "IISSYNC from the working node to the rebuilt node" {
    become {
      user         = var.sync_user
      password_env = "WINPLAY_SYNC_PASSWORD"
    }
    iissync {
      target  = var.rebuilt
      rebuilt = var.rebuilt
    }
  }

  # The cluster's IUSR and IWAM accounts on the rebuilt node.
  task "Log on locally" {
    on = var.rebuilt
    user_right {
      name  = "SeInteractiveLogonRight"
      users = [var.iusr, var.iwam]
    }
  }

  task "Access this computer from the network" {
    on = var.rebuilt
    user_right {
      name  = "SeNetworkLogonRight"
      users = [var.iusr, var.iwam]
    }
  }

  task "IUSR and IWAM are Guests" {
    on = var.rebuilt
    group_member {
      name    = "Guests"
      members = [var.iusr, var.iwam]
    }
  }

  task "IWAM is a trusted impersonator" {
    on = var.rebuilt
    group_member {
      name    = "MTS Trusted Impersonators"
      members = [var.iwam]
    }
  }

  task "DCOM default access allows IUSR and IWAM" {
    on = var.rebuilt
    dcom_permission {
      permission = "access"
      accounts   = [var.iusr, var.iwam]
    }
  }

  task "DCOM default launch allows IUSR and IWAM" {
    on = var.rebuilt
    dcom_permission {
      permission = "launch"
      accounts   = [var.iusr, var.iwam]
    }
  }

  # Fail the web group over to the rebuilt node and back.
  task "move the web group to the rebuilt node" {
    when = !hosts[var.rebuilt].isolated.skipped || dtc_needed.changed || sync_needed.changed
    cluster {
      group = var.web_group
      owner = upper(coalesce(var.rebuilt_computer_name, var.rebuilt))
      state = "online"
    }
  }

  task "move the web group back to the healthy node" {
    when = !hosts[var.rebuilt].isolated.skipped || dtc_needed.changed || sync_needed.changed
    cluster {
      group = var.web_group
      owner = upper(coalesce(var.healthy_computer_name, var.healthy))
      state = "online"
    }
  }

  always {
    task "restore Affect the group" {
      for_each = var.iis_resources
      cluster {
        resource         = each.value
        affect_the_group = true
      }
    }
  }
}
