"""Servers under test: started in their own process group, probed, measured, stopped.

The group matters twice: `serve --workers 2` is a parent and two worker processes, so the
memory we report is the sum over the whole group, and SIGTERM to the group stops all of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Server:
    """A running server: where it listens, its process (group leader) and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pgid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """SIGTERM the process group (workers too); SIGKILL it if it lingers."""
    try:
        os.killpg(server.pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pgid, signal.SIGKILL)
        server.process.wait()


def start(
    command: list[str], env: dict[str, str], port: int, log_path: Path, timeout: float = 60
) -> Server:
    """Start `command` in a new session (its own process group), appending to its log,
    and wait for /readyz; the caller stops it."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server, timeout)
    except BaseException:
        stop(server)
        raise
    return server


@contextmanager
def running(
    command: list[str], env: dict[str, str], port: int, log_path: Path, timeout: float = 60
) -> Iterator[Server]:
    """`start`, then stop the server when the block ends."""
    server = start(command, env, port, log_path, timeout)
    try:
        yield server
    finally:
        stop(server)


IDLE_CHECK = 0.25  # seconds between two looks at the server's CPU time (10 ms ticks)


def wait_idle(pgid: int, timeout: float, busy_share: float = 0.1) -> float:
    """Wait until the group uses under `busy_share` of one core; the seconds it took.

    A server keeps working on requests a client gave up on (a queued batch runs to the end
    when wrk disconnects): measuring the next scenario before it drains would charge it
    for the previous one.
    """
    started = time.monotonic()
    before = group_cpu_seconds(pgid)
    while time.monotonic() - started < timeout:
        time.sleep(IDLE_CHECK)
        after = group_cpu_seconds(pgid)
        if after - before < busy_share * IDLE_CHECK:
            break
        before = after
    return time.monotonic() - started


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds used so far by the live processes of the group."""
    return sum(cpu_seconds(pid) for pid in group_pids(pgid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds one process has used so far (0 once it is gone)."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def parent_pid(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else 0


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from the state field on (the name may hold spaces and parentheses)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def group_pids(pgid: int) -> list[int]:
    """Every live process whose process group is `pgid` (read from /proc/<pid>/stat)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 when it is gone or is a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def group_rss_kib(pgid: int) -> int:
    return sum(rss_kib(pid) for pid in group_pids(pgid))


@dataclass
class RssSampler:
    """Samples the summed RSS of a process group every `interval` seconds, in a thread."""

    pgid: int
    interval: float = 0.5
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        started = time.monotonic()
        while True:
            self.samples.append((time.monotonic() - started, group_rss_kib(self.pgid)))
            if self._stop.wait(self.interval):
                # One more at the end, so "last" is the size when the load stopped.
                self.samples.append((time.monotonic() - started, group_rss_kib(self.pgid)))
                return

    @property
    def peak_mib(self) -> float:
        return max((kib for _, kib in self.samples), default=0) / 1024
