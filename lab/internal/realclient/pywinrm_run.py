"""Run command lines in one pywinrm shell and print what they did as JSON.

Run by realclient.RunPywinrm with /usr/bin/python3 (Debian's python3-winrm).
The single argument is a JSON object: endpoint, transport, user, password,
message_encryption, ca_trust_path (or null) and commands, a list of command
lines; optionally kerberos_delegation, kerberos_hostname_override,
cert_pem and cert_key_pem (pywinrm's arguments of those names),
wrap_iov_shim, console_mode_stdin (run_command's argument, default true)
and command_timeout_sec, after which a command that has not finished
raises CommandTimeout. Prints {"commands": [{"stdout": b64, "stderr": b64, "rc": n},
...]}, or {"error": type, "message": text} when pywinrm raised.
"""
import base64
import json
import signal
import struct
import sys


class CommandTimeout(Exception):
    """A command outlived command_timeout_sec (pywinrm itself waits for ever)."""


def on_alarm(signum, frame):
    raise CommandTimeout("the command did not finish in time")


def install_wrap_iov_shim():
    """Give Debian 12's pykerberos the two functions pywinrm seals with.

    requests-kerberos 0.12 seals WinRM messages with
    kerberos.authGSSWinRMEncryptMessage/DecryptMessage, which pykerberos
    gained in 1.2.1; Debian 12 ships 1.1.14, whose authGSSClientWrapIov and
    authGSSClientUnwrapIov make the same gss_wrap_iov/gss_unwrap_iov calls
    (HEADER, DATA, PADDING) and frame the result as WinRM does: a 32-bit
    little-endian header length, the header, the sealed data. Without the
    functions, pywinrm sends Kerberos over plain HTTP unencrypted.
    """
    import kerberos

    def encrypt(context, message):
        kerberos.authGSSClientWrapIov(context, base64.b64encode(message).decode("ascii"), 1)
        out = base64.b64decode(kerberos.authGSSClientResponse(context))
        (hlen,) = struct.unpack("<I", out[:4])
        return out[4 + hlen:], out[4:4 + hlen]

    def decrypt(context, message, header):
        framed = struct.pack("<I", len(header)) + header + message
        kerberos.authGSSClientUnwrapIov(context, base64.b64encode(framed).decode("ascii"))
        return base64.b64decode(kerberos.authGSSClientResponse(context))

    kerberos.authGSSWinRMEncryptMessage = encrypt
    kerberos.authGSSWinRMDecryptMessage = decrypt


def b64(data):
    return base64.b64encode(data).decode("ascii")


def main():
    cfg = json.loads(sys.argv[1])
    if cfg.get("wrap_iov_shim"):
        install_wrap_iov_shim()
    from winrm.protocol import Protocol

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
    for name in ("kerberos_delegation", "kerberos_hostname_override", "cert_pem", "cert_key_pem"):
        if cfg.get(name):
            kwargs[name] = cfg[name]
    out = {"commands": []}
    try:
        p = Protocol(**kwargs)
        shell = p.open_shell()
        console = cfg.get("console_mode_stdin", True)
        timeout = cfg.get("command_timeout_sec") or 0
        signal.signal(signal.SIGALRM, on_alarm)
        for line in cfg["commands"]:
            command_id = p.run_command(shell, line, console_mode_stdin=console)
            signal.alarm(timeout)
            stdout, stderr, rc = p.get_command_output(shell, command_id)
            signal.alarm(0)
            p.cleanup_command(shell, command_id)
            out["commands"].append({"stdout": b64(stdout), "stderr": b64(stderr), "rc": rc})
        p.close_shell(shell)
    except Exception as e:  # reported to the Go test, which asserts on it
        out = {"error": type(e).__name__, "message": str(e)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
