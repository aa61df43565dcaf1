"""Memory soak: scenario (a) for many minutes against one server, watching its RSS.

A leak shows as RSS that keeps climbing long after the pools and caches are full; the
first sample is taken after the warm-up, so start-up growth does not count as a leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench import databases, people, procs, tools, wrk
from bench.databases import Target
from bench.scenarios import lua_env

SOAK_SPAN = 40_000_000  # phone numbers for the whole soak (20M per wrk thread)
SAMPLE_SECONDS = 10.0


@dataclass(frozen=True)
class SoakResult:
    database: str
    minutes: float
    requests_per_second: float
    non_2xx: int
    samples_mib: list[tuple[float, float]]

    @property
    def first(self) -> float:
        return self.samples_mib[0][1]

    @property
    def last(self) -> float:
        return self.samples_mib[-1][1]

    @property
    def peak(self) -> float:
        return max(mib for _, mib in self.samples_mib)

    @property
    def growth(self) -> float:
        return (self.last - self.first) / self.first if self.first else 0.0

    def summary(self) -> str:
        return (
            f"{self.database}: {self.minutes:g} min of (a) at {self.requests_per_second:,.0f} "
            f"req/s, {self.non_2xx} non-2xx; RSS first {self.first:,.0f} MiB, last "
            f"{self.last:,.0f} MiB, max {self.peak:,.0f} MiB, growth {self.growth:+.1%}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "minutes": self.minutes,
            "requests_per_second": self.requests_per_second,
            "non_2xx": self.non_2xx,
            "rss_samples_mib": self.samples_mib,
            "first_mib": self.first,
            "last_mib": self.last,
            "max_mib": self.peak,
            "growth": self.growth,
        }


def soak(
    kind: str, minutes: float, connections: int, wrk_binary: str, *, keep: bool = False
) -> SoakResult:
    """Fresh database, the production server, a warm-up, then (a) for `minutes`."""
    target = databases.fresh(kind, databases.workdir())
    try:
        return _soak(target, minutes, connections, wrk_binary)
    finally:
        databases.cleanup(target, keep)


def _soak(target: Target, minutes: float, connections: int, wrk_binary: str) -> SoakResult:
    databases.migrate(target)
    seed = databases.seed(target)
    space = people.PhoneSpace()
    port = tools.free_port()
    command, env = databases.serve_command(target, port)

    def lua(tag: str, span: int) -> dict[str, str]:
        return lua_env(seed, tag, space, span)

    with procs.running(command, env, port, target.workdir / "server.log") as server:
        warm = lua("sw", 1_000_000)
        wrk.run(wrk_binary, server.url, "new.lua", warm, duration=10, connections=connections)
        with procs.RssSampler(server.pgid, interval=SAMPLE_SECONDS) as rss:
            result = wrk.run(
                wrk_binary,
                server.url,
                "new.lua",
                lua("soak", SOAK_SPAN),
                duration=minutes * 60,
                connections=connections,
            )
    samples = [(round(t, 1), kib / 1024) for t, kib in rss.samples]
    return SoakResult(target.kind, minutes, result.requests_per_second, result.non_2xx, samples)
