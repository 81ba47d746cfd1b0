"""A workload for the mTLS tests: TLS echo server authorizing tenant ``tenant-a`` peers.

Run through the launcher (it needs a registered identity). Prints its port, then answers
each connection with ``hello <client SPIFFE ID>``.
"""

from __future__ import annotations

import contextlib
import socket
import sys

from hexr.identity import IdentitySource, authorize_tenant, peer_spiffe_id


def main() -> None:
    source = IdentitySource(timeout=5)
    context = source.server_ssl_context(authorize_tenant("tenant-a"))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        while True:
            conn, _ = listener.accept()
            # A rejected or vanished client must not stop the server.
            with contextlib.suppress(OSError, ValueError), conn:
                conn.settimeout(5)
                with context.wrap_socket(conn, server_side=True) as tls:
                    peer = peer_spiffe_id(tls)
                    tls.recv(64)
                    tls.sendall(f"hello {peer}".encode())


if __name__ == "__main__":
    sys.exit(main())
