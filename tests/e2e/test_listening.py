"""Several workers on one port: each listens on a socket of its own, and shares the load."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from maxwork_leads import serving
from tests.e2e.server import free_port, running_server

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

UNLIMITED = {"MAXWORK_RATE_LIMIT_PER_SECOND": "0"}
CONNECTIONS = 64
LISTEN, ESTABLISHED = "0A", "01"


def test_every_worker_listens_on_its_own_socket(sqlite_url: str) -> None:
    with running_server(sqlite_url, workers=2, env=UNLIMITED) as server:
        port = int(server.url.rsplit(":", 1)[1])
        listening = _listening(port, 2)
        owners = _owners(server.group)
    assert len(listening) == 2
    assert len({owners[inode] for inode in listening}) == 2


def test_a_burst_of_connections_is_spread_over_the_workers(sqlite_url: str) -> None:
    """64 connections at once: with one shared socket, the first worker awake took most."""
    with running_server(sqlite_url, workers=2, env=UNLIMITED) as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert len(_listening(port, 2)) == 2
        with ExitStack() as stack:
            conns = [
                stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
                for _ in range(CONNECTIONS)
            ]
            for conn in conns:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            for conn in conns:  # answered, so accepted: the worker's socket has an inode
                assert conn.recv(64).startswith(b"HTTP/1.1 200")
            served = _served(port, server.group)
    # A hash spreads 64 connections over two sockets as a fair coin would: fewer than 16
    # on either happens about once in 40,000 runs.
    assert sum(served.values()) == CONNECTIONS
    assert len(served) == 2, served
    assert min(served.values()) >= 16, served


def test_a_taken_port_stops_the_service_with_the_startup_failure_code() -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(SystemExit) as stopped:
            serving.check_free("127.0.0.1", port)
    assert stopped.value.code == 3


def _listening(port: int, count: int, timeout: float = 30) -> set[int]:
    """The listening sockets on `port`, once there are `count`: workers start one by one,
    and the server answers as soon as the first is up."""
    deadline = time.monotonic() + timeout
    while len(listening := _sockets(port, LISTEN)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return listening


def _served(port: int, group: int) -> Counter[int]:
    """Established connections to `port`, counted by the worker process that holds them."""
    owners = _owners(group)
    return Counter(owners[inode] for inode in _sockets(port, ESTABLISHED) if inode in owners)


def _sockets(port: int, state: str) -> set[int]:
    """The inodes of the TCP sockets on local `port` in `state` (/proc/net/tcp's hex codes)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def _owners(group: int) -> dict[int, int]:
    """Socket inode -> PID, for every process in the server's process group."""
    owners = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    owners[int(target[8:-1])] = int(entry.name)
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return owners
