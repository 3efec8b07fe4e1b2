# The inventory of the package documentation: file defaults, host
# overrides, nested groups.
connection {
  transport         = "ntlm"
  https             = true
  port              = 5986
  user              = "CORP\\svc-winplay"
  password_env      = "WINPLAY_PASSWORD"
  ca_file           = "corp-ca.pem"
  insecure          = false
  connect_timeout   = "5s"
  operation_timeout = "60s"
}

vars = { domain = "CORP" }

host "node1" {
  address = "10.1.0.11"
  vars    = { role = "primary" }
}

host "node2" {
  address = "10.1.0.12"
  connection { port = 25986 }
}

group "cluster" {
  hosts    = ["node1", "node2"]
  children = ["web"]
  vars     = { cluster_name = "CLUSTER1" }
  connection { transport = "basic" }
}

group "web" { hosts = ["node2"] }
