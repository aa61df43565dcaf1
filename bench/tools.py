"""Paths and external tools: the venv, wrk and matplotlib, installed when missing.

The harness installs what it needs itself (wrk from Debian, matplotlib into the venv) rather
than through pyproject.toml, so that the service's own dependencies stay untouched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
LUA = BENCH / "lua"
RESULTS = BENCH / "results"


def free_port() -> int:
    """A TCP port nobody listens on right now, for one server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _apt_install(package: str) -> None:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    install = [*prefix, "apt-get", "install", "-y", package]
    if subprocess.run(install, capture_output=True).returncode == 0:
        return
    subprocess.run([*prefix, "apt-get", "update"], capture_output=True, check=False)
    subprocess.run(install, capture_output=True, check=True)


def ensure_wrk() -> str:
    """The wrk binary; `apt-get install -y wrk` (after `apt-get update` if needed) when absent."""
    found = shutil.which("wrk")
    if found is None:
        print("wrk not found: apt-get install -y wrk", flush=True)
        _apt_install("wrk")
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is still missing after apt-get install")
    return found


def ensure_matplotlib() -> bool:
    """Whether matplotlib can be imported, installing it into this venv first if needed."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib not found: pip install matplotlib into the venv", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"], check=False
        )
        if done.returncode != 0:
            return False
        import importlib

        importlib.invalidate_caches()
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return False
    return True


def wrk_version(wrk: str) -> str:
    output = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    return (output.stdout or output.stderr).splitlines()[0].strip() if output else "?"
