"""One structured log line per request, with the path only: never a token or query string."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("maxwork_leads.access")


class AccessLog:
    """Pure ASGI middleware, so that it costs one log call and does not buffer bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            log.info(orjson.dumps(_entry(scope, status, started)).decode())


def _entry(scope: Scope, status: int, started: float) -> dict[str, Any]:
    headers = dict(scope.get("headers") or [])
    return {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 2),
        "user": headers.get(b"user", b"").decode("latin-1")[:100] or None,
        "client": (scope.get("client") or ("", 0))[0],
    }
