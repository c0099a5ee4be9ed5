"""A guard for test sessions: any connection or name lookup off the loopback fails loudly.

This is a fence around the test, not a stand-in for our code: code under test still opens
real sockets to the local servers on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkGuardError(OSError):
    """A test tried to reach a host that is not on the loopback interface."""


def is_loopback(host: object) -> bool:
    """True for 127.0.0.0/8, ::1 and the usual localhost names."""
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def install(monkeypatch) -> list[str]:
    """Refuse connections and DNS lookups to non-loopback hosts (pytest monkeypatch).

    Returns the list of refused attempts, so a fixture can fail the test even when the
    attempt happened in a background thread that swallowed the error.
    """
    refused: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            refused.append(str(address[0]))
            raise NetworkGuardError(f"test tried to reach {address[0]}: only loopback allowed")

    def connect(sock, address):
        _check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        _check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_loopback(host):
            refused.append(str(host))
            raise NetworkGuardError(f"test tried to resolve {host}: only loopback allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return refused
