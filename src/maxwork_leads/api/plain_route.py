"""A route whose endpoint reads the request and builds the response itself.

FastAPI's request handler resolves dependencies, reads and validates a body and
serializes what the endpoint returns. The write endpoints do each of those themselves
(they must record even a body that fails to parse), so the handler only cost them time:
about 30 us a request on the busiest endpoint, measured in-process. Such a route is
declared, documented and routed as any other; only its handler is the endpoint itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute


class PlainRoute(APIRoute):
    """For `async def endpoint(request: Request) -> Response` only (checked at startup)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        parameters = list(inspect.signature(endpoint, eval_str=True).parameters.values())
        plain = (
            inspect.iscoroutinefunction(endpoint)
            and len(parameters) == 1
            and parameters[0].annotation is Request
        )
        if not plain:
            raise TypeError(
                f"{endpoint.__qualname__}: a PlainRoute endpoint is "
                "`async def endpoint(request: Request) -> Response`"
            )
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint  # type: ignore[return-value]
