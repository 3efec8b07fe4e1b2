"""Run command lines in one pywinrm shell and print what they did as JSON.

Run by realclient.RunPywinrm with /usr/bin/python3 (Debian's python3-winrm).
The single argument is a JSON object: endpoint, transport, user, password,
message_encryption, ca_trust_path (or null) and commands, a list of command
lines. Prints {"commands": [{"stdout": b64, "stderr": b64, "rc": n}, ...]}.
"""
import base64
import json
import sys

from winrm.protocol import Protocol


def b64(data):
    return base64.b64encode(data).decode("ascii")


def main():
    cfg = json.loads(sys.argv[1])
    kwargs = dict(
        endpoint=cfg["endpoint"],
        transport=cfg["transport"],
        username=cfg["user"],
        password=cfg["password"],
        message_encryption=cfg["message_encryption"],
        operation_timeout_sec=20,
        read_timeout_sec=30,
    )
    if cfg.get("ca_trust_path"):
        kwargs["ca_trust_path"] = cfg["ca_trust_path"]
    p = Protocol(**kwargs)
    shell = p.open_shell()
    out = {"commands": []}
    for line in cfg["commands"]:
        command_id = p.run_command(shell, line)
        stdout, stderr, rc = p.get_command_output(shell, command_id)
        p.cleanup_command(shell, command_id)
        out["commands"].append({"stdout": b64(stdout), "stderr": b64(stderr), "rc": rc})
    p.close_shell(shell)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
