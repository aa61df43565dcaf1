"""Turning pipeline answers into HTTP responses, and the one way a write request is taken."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import orjson
from fastapi import Request
from fastapi.responses import Response

from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import BodyRefused, read_json
from maxwork_leads.api.grouped import Job, Refusal
from maxwork_leads.api.pipeline import Work
from maxwork_leads.api.write_queue import WriteQueue


def respond(answer: pipeline.Answer) -> Response:
    return Response(
        orjson.dumps(answer.body), answer.status, answer.headers, media_type="application/json"
    )


async def take_write(
    request: Request,
    services: pipeline.Services,
    call: pipeline.Call,
    limit: int,
    work_for: Callable[[Any], Work | Awaitable[Work]],
    *,
    single_lead: bool = False,
) -> Response:
    """Read the body (refusals are recorded too), then run the write pipeline in a thread.

    Writers get their own few threads (`writer_threads`): one on SQLite, which writes one
    transaction at a time anyway. Dozens of threads queueing for one connection would
    each hold the interpreter lock in turn and stretch every transaction. Requests that
    arrive while the process's writer is busy are written together (`WriteQueue`): every
    write on SQLite, single-lead requests on PostgreSQL (`Settings.groups_writes`). A
    served SQLite process sends every write to its write process instead, which groups
    them the same way (`write_process`).
    """
    slots = writer_slots(request, services)
    helper = getattr(request.app.state, "write_process", None)
    try:
        body = await read_json(request, limit, call.token)
    except BodyRefused as refused:
        refusal = Refusal(call, refused.error, refused.kept)
        if helper is not None:  # the only writer: no waiting for its lock here
            return respond(await helper.write(services, refusal))
        return respond(await anyio.to_thread.run_sync(refusal.alone, services, limiter=slots))
    work = work_for(body)
    if inspect.isawaitable(work):  # work that prepares something first (a batch's parse)
        work = await work
    if helper is not None:
        answer = await helper.write(services, Job(call, body, work))
    elif services.settings.groups_writes(single_lead=single_lead):
        queue = write_queue(request, services, slots)
        answer = await queue.write(Job(call, body, work))
    else:
        answer = await anyio.to_thread.run_sync(
            pipeline.write, services, call, body, work, limiter=slots
        )
    return respond(answer)


def write_queue(
    request: Request, services: pipeline.Services, slots: anyio.CapacityLimiter
) -> WriteQueue:
    state = request.app.state
    queue = getattr(state, "write_queue", None)
    if queue is None or queue.loop is not asyncio.get_running_loop():
        queue = state.write_queue = WriteQueue(services, slots)
    return queue  # type: ignore[no-any-return]


def writer_slots(request: Request, services: pipeline.Services) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "writer_slots", None) is None:
        state.writer_slots = anyio.CapacityLimiter(services.settings.writer_threads)
    return state.writer_slots  # type: ignore[no-any-return]
