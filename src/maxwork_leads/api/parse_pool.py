"""Large batches validated in helper processes, beside the server process that writes.

Validating a lead (its email with email-validator, its phone with phonenumbers, the rest
with Pydantic) was half of a batch's CPU time, and a server process runs Python on one
core at a time: on SQLite, whose single server process writes every lead, a batch of 500
kept one core busy and left the others idle. With helper processes, the items of a large
batch are validated there, in parallel with the writing of the batch before it, and come
back as the same `LeadIn` values or errors that `parsing.parse_each` would have given
here, with what they read kept: the sender's phone, and the digest that recognises a
repeat (`parsing.parse_digested`). Small batches are not worth the trip.

The helpers import only the schema (`leads.parsing`), and are started with "spawn": a
fork would copy a process that has threads and open database connections.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from maxwork_leads.errors import AppError
from maxwork_leads.leads import parsing
from maxwork_leads.leads.schemas import LeadIn

log = logging.getLogger("maxwork_leads.api")

MIN_ITEMS = 50  # below this, sending the items costs about what validating them here does


class ParsePool:
    """`processes` helper processes for one server process, started by `start`."""

    def __init__(self, processes: int, region: str) -> None:
        self.processes = processes
        self.region = region
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            self.processes,
            mp_context=context,
            initializer=outlive_parent,
            initargs=(os.getpid(),),
        )

    async def start(self) -> None:
        """Start every helper now, so that the first batch does not wait for their imports."""
        loop = asyncio.get_running_loop()
        ready = [loop.run_in_executor(self._executor, _ready) for _ in range(self.processes)]
        await asyncio.gather(*ready)

    async def parse(self, items: Any) -> list[LeadIn | AppError] | None:
        """`parsing.parse_digested(items)`, done by the helpers; None when the caller should
        parse them itself: not a list of at least MIN_ITEMS, a helper died (the pool is
        then started afresh for the next batch), or validation raised."""
        if not isinstance(items, list) or len(items) < MIN_ITEMS:
            return None
        size = -(-len(items) // self.processes)
        loop = asyncio.get_running_loop()
        executor = self._executor
        try:
            parts = [
                loop.run_in_executor(
                    executor, parsing.parse_digested, items[i : i + size], self.region
                )
                for i in range(0, len(items), size)
            ]
            done = await asyncio.gather(*parts)
        except BrokenProcessPool:
            log.warning("a batch validation process died; validating in-process and restarting")
            if self._executor is executor:
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
            return None
        except Exception:
            # Validating in-process meets the same failure inside the write pipeline,
            # which answers and records it as it does for any request.
            log.exception("batch validation failed in a helper; validating in-process")
            return None
        return [item for part in done for item in part]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _ready() -> bool:
    return True


def outlive_parent(parent: int) -> None:
    """In a helper: exit once the server process is gone. A server killed outright never
    tells its helpers, and they would wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


PARENT_CHECK_SECONDS = 1.0
