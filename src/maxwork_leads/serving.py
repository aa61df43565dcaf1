"""Running the HTTP service in one or several processes on one port.

uvicorn's workers share the one listening socket their parent bound, and a worker that
wakes takes every connection waiting in its queue: a burst of 32 connections (a portal
flushing a backlog, or wrk) split 28/6 or 25/9 between two workers, and the busier one
then served most of the traffic while the other sat half idle. On Linux, each worker
here binds a socket of its own to the same port with SO_REUSEPORT, and the kernel
spreads new connections over those sockets by a hash of their addresses. uvicorn's
supervisor still starts, watches and restarts the workers; a restarted worker binds its
own socket again.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("maxwork_leads.serving")


def run(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """`uvicorn.run(app, ...)`, with a socket per worker where the kernel can balance them.

    One worker, a random port (0: each worker would get a different one) or a system
    without SO_REUSEPORT balancing keep uvicorn's shared socket.
    """
    if workers == 1 or port == 0 or not kernel_balances():
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    check_free(host, port)
    log.info(
        "listening on http://%s:%d in %d processes, each with its own socket",
        f"[{host}]" if ":" in host else host,
        port,
        workers,
    )
    Multiprocess(config, sockets=[OwnSocket(host, port)]).run()  # type: ignore[list-item]


def kernel_balances() -> bool:
    """Linux spreads connections over SO_REUSEPORT sockets; BSD and macOS let them share a
    port but send every connection to one."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


class OwnSocket:
    """Stands for a listening socket in the list uvicorn hands to each worker process.

    uvicorn pickles that list into every worker it starts (the first ones and any
    replacement); this one unpickles as a new socket bound there, in that worker, instead
    of a copy of the parent's.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return bind_own_socket, (self.host, self.port)


def bind_own_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that shares the port with the other workers' sockets.

    A worker that cannot bind ends with uvicorn's startup-failure code, so that the
    supervisor stops instead of restarting it again and again.
    """
    return _bound(host, port, share=True)


def check_free(host: str, port: int) -> None:
    """End with uvicorn's startup-failure code when something already listens on the port.

    The probe binds without SO_REUSEPORT, so it fails even when the listener there is
    another instance of this service, whose workers would otherwise silently share
    their port with ours.
    """
    _bound(host, port, share=False).close()


def _bound(host: str, port: int, *, share: bool) -> socket.socket:
    """A TCP socket bound to (host, port), or the process ends with STARTUP_FAILURE."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        logging.getLogger("uvicorn.error").error("cannot listen on %s:%d: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)
    return sock
