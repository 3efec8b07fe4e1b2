# One task per module, each with arguments that would change something on
# the lab's cluster (node1 kept serving, node2 rebuilt), through every way
# a module reaches a host: its own host, `on`, a peer (iissync), and the
# reboot meta-argument. Run in check mode, nothing may change anywhere.
play "every module in a dry run" {
  hosts = ["node1"]

  task "service" {
    service {
      name       = "Spooler"
      state      = "stopped"
      start_mode = "disabled"
    }
  }
  task "wait_for" {
    wait_for {
      service = "Spooler"
      state   = "stopped"
    }
  }
  task "assert" {
    assert {
      service = "Spooler"
      state   = "stopped"
    }
  }
  task "command" {
    command { argv = ["sc", "stop", "W3SVC"] }
  }
  task "command with creates" {
    command {
      argv    = ["sc", "stop", "W3SVC"]
      creates = "C:\\nowhere.txt"
    }
    reboot = "always"
  }
  task "reboot" {
    reboot {}
  }
  task "copy" {
    copy {
      content = "[Global]\r\nAction=Install\r\n"
      dest    = "C:\\unattend\\optionpack.ini"
    }
  }
  task "registry" {
    registry {
      key  = "HKLM\\SOFTWARE\\Microsoft\\Transaction Server\\Replication"
      name = "RemoteServerName"
      data = "NODE9"
    }
  }
  task "cluster" {
    cluster {
      resource         = "Web Server"
      affect_the_group = false
    }
  }
  task "iissync" {
    iissync {
      target  = "node2"
      rebuilt = "node2"
      force   = true
    }
  }
  task "option_pack" {
    on = "node2"
    option_pack {
      setup        = "D:\\NTOPTPAK\\EN\\X86\\SETUP.EXE"
      install_type = "custom"
      components   = ["iis_common", "iis_www", "iis_ftp", "mts_core"]
    }
    reboot = "if_required"
  }
  task "service_pack" {
    on = "node2"
    service_pack {
      path    = "D:\\SP6\\UPDATE.EXE"
      level   = "Service Pack 6"
      reapply = true
    }
    reboot = "if_required"
  }
  task "installer" {
    on = "node2"
    installer {
      path                  = "D:\\SP6\\UPDATE.EXE"
      arguments             = ["-u", "-z"]
      detect_registry       = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
      detect_registry_value = "CSDVersion"
      detect_registry_data  = "Service Pack 7"
    }
  }
  task "msdtc" {
    on = "node2"
    msdtc {
      state          = "joined"
      virtual_server = "WEBVS"
    }
  }
  task "user_right" {
    on = "node2"
    user_right {
      name  = "SeInteractiveLogonRight"
      users = ["CORP\\IUSR_CLUSTER", "CORP\\IWAM_CLUSTER"]
    }
  }
  task "group_member" {
    on = "node2"
    group_member {
      name    = "Guests"
      members = ["CORP\\IUSR_CLUSTER", "CORP\\IWAM_CLUSTER"]
    }
  }
  task "dcom_permission" {
    on = "node2"
    dcom_permission {
      permission = "access"
      accounts   = ["CORP\\IUSR_CLUSTER", "CORP\\IWAM_CLUSTER"]
    }
  }
}
