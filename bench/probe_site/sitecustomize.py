"""Loaded by every process the robustness probe starts (`bench/robustness_probe.py` puts this folder first on
PYTHONPATH, or calls `install` in a forked case): records each outgoing connection to `$GO_PROBE_CONNECT_LOG`,
one `host port` line each, and refuses cloud-metadata addresses before any packet leaves, so a probe that finds
a hole never reaches a real one.
"""

from __future__ import annotations

import ipaddress
import os
import socket

_LOG = os.environ.get("GO_PROBE_CONNECT_LOG")
_TRAPPED = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("100.100.100.200/32"),
            ipaddress.ip_network("fd00:ec2::254/128"))


def trapped(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _TRAPPED if network.version == address.version)


def install(log_path: str) -> None:
    """Record every connection of this process to `log_path`; refuse the trapped addresses."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def record(address: object) -> None:
        if isinstance(address, tuple) and len(address) >= 2:
            host, port = str(address[0]), address[1]
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{host} {port}\n")
            if trapped(host):
                raise ConnectionRefusedError(f"robustness probe: refused a connection to {host}")

    def checked_connect(self: socket.socket, address: object) -> None:
        record(address)
        connect(self, address)  # type: ignore[arg-type]

    def checked_connect_ex(self: socket.socket, address: object) -> int:
        record(address)
        return connect_ex(self, address)  # type: ignore[arg-type]

    socket.socket.connect = checked_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = checked_connect_ex  # type: ignore[method-assign]


if _LOG:
    install(_LOG)
