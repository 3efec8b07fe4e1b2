"""Drive the lab's WinRM server with pywinrm and print what happened as JSON.

Run by python_test.go with /usr/bin/python3 (Debian's python3-winrm). The
single argument is a JSON object: endpoint, transport, user, password,
message_encryption, ca_trust_path (or null) and commands, a list of
[command, [arguments]].
"""
import base64
import json
import sys

import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMError
from winrm.protocol import Protocol


def protocol(cfg, password):
    kwargs = dict(
        endpoint=cfg["endpoint"],
        transport=cfg["transport"],
        username=cfg["user"],
        password=password,
        message_encryption=cfg["message_encryption"],
        # Short, so a command longer than 2 s makes the server answer
        # w:TimedOut and pywinrm retry the Receive.
        operation_timeout_sec=2,
        read_timeout_sec=6,
    )
    if cfg.get("ca_trust_path"):
        kwargs["ca_trust_path"] = cfg["ca_trust_path"]
    return Protocol(**kwargs)


def b64(data):
    return base64.b64encode(data).decode("ascii")


def main():
    cfg = json.loads(sys.argv[1])
    out = {"commands": []}
    p = protocol(cfg, cfg["password"])
    shell = p.open_shell(env_vars={"FOO": "bar"}, working_directory="C:\\Temp")
    for command, args in cfg["commands"]:
        command_id = p.run_command(shell, command, args)
        stdout, stderr, rc = p.get_command_output(shell, command_id)
        p.cleanup_command(shell, command_id)
        out["commands"].append({"stdout": b64(stdout), "stderr": b64(stderr), "rc": rc})
    try:
        p.run_command("NO-SUCH-SHELL", "echo", ["x"])
        out["unknown_shell"] = "no error"
    except WinRMError as e:
        out["unknown_shell"] = str(e)
    p.close_shell(shell)

    session = winrm.Session(
        cfg["endpoint"],
        auth=(cfg["user"], cfg["password"]),
        transport=cfg["transport"],
        message_encryption=cfg["message_encryption"],
        ca_trust_path=cfg.get("ca_trust_path"),
    )
    r = session.run_cmd("echo", ["via", "session"])
    out["session"] = {"stdout": b64(r.std_out), "rc": r.status_code}
    r = session.run_ps('Write-Output "from powershell"')
    out["run_ps"] = {"stdout": b64(r.std_out), "rc": r.status_code}

    try:
        protocol(cfg, "wrong-password").open_shell()
        out["bad_credentials"] = "accepted"
    except InvalidCredentialsError as e:
        out["bad_credentials"] = type(e).__name__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
