"""SQLite's write requests, handed to its single writer thread a group at a time.

SQLite runs one write transaction at a time, so its writer is the service's bottleneck.
Handing it one request at a time cost a thread hand-over, a transaction start and a
commit per request. Requests that arrive while the writer is busy wait here, and go
together, in arrival order, as one transaction (`grouped.write_together`) once the
writer is free. Nothing waits on purpose: a request that finds the writer idle goes at
once, alone.
"""

from __future__ import annotations

import asyncio

import anyio

from maxwork_leads.api import grouped, pipeline

MAX_GROUP = 64  # bounds one transaction's length, and the wait of its last request


class WriteQueue:
    """Lives on one event loop (the server's); a new loop gets a new queue."""

    def __init__(self, services: pipeline.Services, slots: anyio.CapacityLimiter) -> None:
        self.services = services
        self.slots = slots
        self.loop = asyncio.get_running_loop()
        self._waiting: list[tuple[grouped.Job, asyncio.Future[pipeline.Answer]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, job: grouped.Job) -> pipeline.Answer:
        answer: asyncio.Future[pipeline.Answer] = self.loop.create_future()
        self._waiting.append((job, answer))
        if self._writer is None:
            self._writer = self.loop.create_task(self._write_waiting())
        # shield: a client that goes away must not cancel the answer of the others.
        return await asyncio.shield(answer)

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                group = self._waiting[:MAX_GROUP]
                del self._waiting[:MAX_GROUP]
                try:
                    answers = await anyio.to_thread.run_sync(
                        grouped.write_together,
                        self.services,
                        [job for job, _ in group],
                        limiter=self.slots,
                    )
                except BaseException as exc:
                    # Only a cancelled server or a dying interpreter gets here (the pipeline
                    # answers every error itself): fail everyone still waiting, so that no
                    # request waits for a writer that is gone.
                    for _, answer in group + self._waiting:
                        if not answer.done():
                            answer.set_exception(exc)
                    self._waiting.clear()
                    raise
                for (_, answer), result in zip(group, answers, strict=True):
                    if not answer.done():
                        answer.set_result(result)
                if self.services.database.catch_up_due():  # once the answers are out
                    await anyio.to_thread.run_sync(
                        self.services.database.catch_up, limiter=self.slots
                    )
        finally:
            self._writer = None
