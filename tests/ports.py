"""Loopback ports for the servers tests start (redis-server, SMTP, HTTP receivers).

A port found free by binding and closing can be taken by another process before the server
binds it, and with xdist's workers side by side that happens. So each worker picks from its
own slice of a band below Linux's ephemeral range (where the kernel hands out ports of its
own), and a server that loses its port anyway is started again on another (BIND_ATTEMPTS).
"""

from __future__ import annotations

import os
import random
import socket

import pytest

PORT_BAND = range(20000, 32000)
PORT_SLICE = 1000
BIND_ATTEMPTS = 20


def _port_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    start = PORT_BAND.start + (index * PORT_SLICE) % len(PORT_BAND)
    return range(start, start + PORT_SLICE)


def free_port() -> int:
    """A loopback port of this worker's slice that nothing holds now (a start must still expect to lose it)."""
    ports = _port_slice()
    for _ in range(200):
        port = random.choice(ports)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free loopback port in {ports.start}-{ports.stop - 1}", pytrace=False)
