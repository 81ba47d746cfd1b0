"""Chromium in its own network and mount namespace, reaching only the egress proxy.

Playwright starts the generated launcher instead of ``/usr/bin/chromium``. The launcher
(plain stdlib, run by the system ``python3 -I -S``) unshares a network and a mount
namespace, brings up loopback inside, hides the SPIFFE socket and Hexr's state directory,
forks a bridge that accepts on the namespace's ``127.0.0.1:<port>`` and forwards to the
egress proxy's unix socket (unix sockets are reachable across network namespaces), and
execs Chromium with the same arguments and pipes. Chromium thus has no route anywhere but
the proxy: even traffic that ignored the proxy settings (UDP, DNS) would go nowhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["write_launcher"]

_SCRIPT = r'''#!/usr/bin/python3 -IS
import ctypes, fcntl, json, os, signal, socket, struct, sys, threading
CONFIG = json.loads(__CONFIG__)
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x40000000 | 0x00020000) != 0:
    sys.stderr.write("hexr browser launcher: unshare failed\n")
    sys.exit(71)
libc.mount(b"none", b"/", None, 0x4000 | (1 << 18), None)
for path in CONFIG["hide"]:
    if os.path.isdir(path):
        libc.mount(b"tmpfs", path.encode(), b"tmpfs", 1, b"size=4k")
    elif os.path.lexists(path):
        libc.mount(b"/dev/null", path.encode(), None, 0x1000, None)
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sh", fcntl.ioctl(probe, 0x8913, struct.pack("16sh", b"lo", 0)))[1]
fcntl.ioctl(probe, 0x8914, struct.pack("16sh", b"lo", flags | 1))
probe.close()
listener = socket.create_server(("127.0.0.1", CONFIG["port"]))
if os.fork() == 0:
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the bridge dies with Chromium
    for fd in (0, 1, 3, 4):
        try:
            os.close(fd)
        except OSError:
            pass

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX)
        try:
            upstream.connect(CONFIG["proxy_socket"])
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
listener.close()
os.execv(CONFIG["chromium"], [CONFIG["chromium"], *sys.argv[1:]])
'''


def write_launcher(
    directory: Path, chromium: str, port: int, proxy_socket: str, hide: Sequence[str]
) -> str:
    """Write the launcher into ``directory`` (the session's profile); returns its path."""
    config = {
        "chromium": chromium,
        "port": port,
        "proxy_socket": proxy_socket,
        "hide": [p for p in hide if not proxy_socket.startswith(p.rstrip("/") + "/")],
    }
    path = directory / "hexr-chromium"
    path.write_text(_SCRIPT.replace("__CONFIG__", repr(json.dumps(config))), encoding="utf-8")
    os.chmod(path, 0o700)
    return str(path)
