"""Per-credential rate limits with the generic cell rate algorithm (a token bucket in one number).

Two stores: Redis, shared by every server process (atomic Lua script, Redis's own clock), and
process memory for a single server process (the SQLite default). The database is not used:
a row per credential updated on every request would put a write, and on PostgreSQL a row
lock, on the hot path of each request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from maxwork_leads.errors import AppError

log = logging.getLogger("maxwork_leads.ratelimit")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float
    retry_after: float

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_seconds)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class RateLimited(AppError):
    code = "rate_limited"
    status = 429

    def __init__(self, decision: Decision) -> None:
        super().__init__(
            f"rate limit of {decision.limit} requests exceeded; "
            f"retry after {decision.headers()['Retry-After']} s"
        )
        self.decision = decision


class Store(Protocol):
    def hit(self, key: str, interval: float, burst: int) -> tuple[bool, float, float] | None:
        """(allowed, seconds of burst left after this hit, seconds until the bucket is full),
        or None when the store cannot decide."""
        ...


class MemoryStore:
    """For one server process: the state is this process's memory."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._guard = threading.Lock()

    def hit(self, key: str, interval: float, burst: int) -> tuple[bool, float, float]:
        with self._guard:
            now = time.monotonic()
            tat = max(self._tat.get(key, now), now)
            new_tat = tat + interval
            allow_at = new_tat - burst * interval
            if now < allow_at:
                return False, now - allow_at, tat - now
            self._tat[key] = new_tat
            return True, now - allow_at, new_tat - now


GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, tostring(now - allow_at), tostring(tat - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {1, tostring(now - allow_at), tostring(new_tat - now)}
"""


class RedisStore:
    """Shared by every process that talks to the same Redis."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2)
        self._script = self._client.register_script(GCRA_SCRIPT)

    def hit(self, key: str, interval: float, burst: int) -> tuple[bool, float, float] | None:
        """None when Redis cannot answer: the request goes through unlimited.

        Refusing leads because the limiter is down would lose more than a burst costs.
        """
        import redis

        try:
            allowed, slack, reset = self._script(
                keys=[f"maxwork:rate:{key}"], args=[interval, burst]
            )
        except redis.RedisError as exc:
            log.warning("rate limiter unavailable, request not limited: %s", exc)
            return None
        return bool(allowed), float(slack), float(reset)


class Limiter:
    def __init__(self, store: Store, default_rate: float, burst: int) -> None:
        self.store = store
        self.default_rate = default_rate
        self.burst = burst

    def check(self, key: str, rate: float | None) -> Decision | None:
        """The decision for one request, or None when this credential is not limited."""
        rate = self.default_rate if rate is None else rate
        if rate <= 0:
            return None
        interval = 1.0 / rate
        hit = self.store.hit(key, interval, self.burst)
        if hit is None:
            return None
        allowed, slack, reset = hit
        # The epsilon keeps float error (4.95 / 0.05 = 98.999...) from eating a request.
        remaining = max(0, math.floor(slack / interval + 1e-6)) if allowed else 0
        return Decision(allowed, self.burst, remaining, max(reset, 0.0), max(-slack, 0.0))


def make_limiter(default_rate: float, burst: int, redis_url: str | None) -> Limiter:
    store: Store = RedisStore(redis_url) if redis_url else MemoryStore()
    return Limiter(store, default_rate, burst)
