"""Turning pipeline answers into HTTP responses, and the one way a write request is taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import BodyRefused, read_json
from maxwork_leads.models import Credential

Work = Callable[[Session, Credential], pipeline.Written]


def respond(answer: pipeline.Answer) -> Response:
    return Response(
        orjson.dumps(answer.body), answer.status, answer.headers, media_type="application/json"
    )


async def take_write(
    request: Request,
    services: pipeline.Services,
    call: pipeline.Call,
    limit: int,
    work_for: Callable[[Any], Work],
) -> Response:
    """Read the body (refusals are recorded too), then run the write pipeline in a thread."""
    try:
        body = await read_json(request, limit, call.token)
    except BodyRefused as refused:
        answer = await run_in_threadpool(
            pipeline.refuse, services, call, refused.error, refused.kept
        )
        return respond(answer)
    return respond(await run_in_threadpool(pipeline.write, services, call, body, work_for(body)))
