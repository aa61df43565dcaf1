"""Start the real server (`maxwork-leads serve`) as a process group, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).parent / "maxwork-leads")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    log_path: Path
    group: int  # the process group of the parent and its workers

    def log(self) -> str:
        """Everything the server processes wrote so far."""
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_server(
    database_url: str,
    workers: int = 1,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """A server started with the production command in its own process group; stopped after.

    Several workers need a shared rate limiter: pass MAXWORK_REDIS_URL, or turn limiting off.
    """
    port = free_port()
    env = {**os.environ, "MAXWORK_DATABASE_URL": database_url, **(env or {})}
    with tempfile.NamedTemporaryFile(prefix="maxwork-server-", suffix=".log") as log_file:
        process = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(f"http://127.0.0.1:{port}", Path(log_file.name), process.pid)
        try:
            _wait_ready(server, process, timeout)
            yield server
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole process group (workers too), SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_ready(server: Server, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {server.log()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become ready in time")
