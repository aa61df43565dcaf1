"""Running wrk and reading what it prints: throughput, latency percentiles, errors."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench import tools

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
DURATION = r"([\d.]+)(us|ms|s|m|h)"


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured (latencies in milliseconds)."""

    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: dict[str, int]
    counters: dict[str, int]
    output: str


def _ms(value: str, unit: str) -> float:
    return float(value) * UNITS_MS[unit]


def _percentile(text: str, pct: str) -> float:
    match = re.search(rf"^\s*{pct}%\s+{DURATION}\s*$", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"wrk output has no {pct}% latency (was --latency given?)")
    return _ms(*match.groups())


def parse(text: str) -> WrkResult:
    """Read wrk's --latency report (and the BENCH line that bench/lua/common.lua prints)."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    latency = re.search(rf"Latency\s+{DURATION}\s+{DURATION}\s+{DURATION}", text)
    if total is None or rate is None or latency is None:
        raise ValueError(f"unexpected wrk output:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    counters = re.search(r"^BENCH (.*)$", text, re.MULTILINE)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1000,
        requests_per_second=float(rate.group(1)),
        p50_ms=_percentile(text, "50"),
        p75_ms=_percentile(text, "75"),
        p90_ms=_percentile(text, "90"),
        p99_ms=_percentile(text, "99"),
        max_ms=_ms(latency.group(5), latency.group(6)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
        if sockets
        else {},
        counters={
            key: int(value)
            for key, value in (item.split("=", 1) for item in counters.group(1).split())
        }
        if counters
        else {},
        output=text,
    )


def threads_for(connections: int) -> int:
    """One wrk thread per core (this is a 2-core machine), never more than connections."""
    return max(1, min(os.cpu_count() or 1, 2, connections))


def whole_seconds(duration: float) -> int:
    """What wrk runs for: it takes whole seconds only."""
    return max(1, round(duration))


def run(
    wrk: str,
    url: str,
    script: str,
    env: dict[str, str],
    *,
    duration: float,
    connections: int,
    timeout: float = 10,
) -> WrkResult:
    """`wrk --latency` with a bench/lua script for `duration` seconds against `url`.

    A request slower than `timeout` seconds is counted by wrk as a socket timeout error.
    """
    threads = threads_for(connections)
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{whole_seconds(duration)}s"]
    command += ["--latency", "--timeout", f"{round(timeout)}s"]
    command += ["-s", str(Path(tools.LUA) / script), url]
    full_env = {
        **os.environ,
        **env,
        "BENCH_LUA_DIR": str(tools.LUA),
        "BENCH_THREADS": str(threads),
    }
    done = subprocess.run(
        command, env=full_env, capture_output=True, text=True, timeout=duration + 120
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout + done.stderr)
