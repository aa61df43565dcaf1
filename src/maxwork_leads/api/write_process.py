"""SQLite's writes, done in a process of their own beside the server process's event loop.

A process runs Python on one core at a time. On SQLite, the server process's one writer
thread (validating each lead, then writing it) and its event loop (HTTP) took turns on
that core, about half of it each under load (`make bench`, scenario (a)), while the
machine's other core had little to do. Here a helper process does the writing, and the two
run at once: the server process sends it every write request as it comes, and the helper,
whenever it is free, takes all that have arrived (up to `MAX_GROUP`) and writes them as one
group, exactly as `grouped.write_together` does in a server process without a helper. It
answers after the commit, so a 2xx still means committed; it is the only writer of leads,
as SQLite wants.

Requests and answers travel over a socket pair as length-prefixed pickles, read and
written on the server process's event loop, never in a thread: a thread would wait for
the interpreter lock (up to its 5 ms switch interval) each time it took a request or an
answer while the event loop ran, and the helper would sit idle meanwhile.

Without Redis, the rate limiter lives in the helper's memory too: the server process asks
it for the decisions of the requests it serves itself (reads), so that one credential has
one limit, not one per process.

The helper is started with "spawn" (a fork would copy a process that has threads and open
database connections), ignores SIGINT and SIGTERM (the server process stops it once its
last request is answered), and ends with the server process if that one is killed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import select
import signal
import socket
import struct
import threading
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

import anyio

from maxwork_leads import heap
from maxwork_leads.api import grouped, pipeline
from maxwork_leads.api.parse_pool import outlive_parent
from maxwork_leads.api.write_queue import MAX_GROUP
from maxwork_leads.db import Database
from maxwork_leads.errors import InternalError
from maxwork_leads.integration.ratelimit import Limiter, MemoryStore, make_limiter
from maxwork_leads.settings import Settings

log = logging.getLogger("maxwork_leads.api")

HEADER = struct.Struct("!Q")  # the length of the pickle that follows
# What one recv asks for. A larger size costs more than it saves: `recv` allocates the
# whole size first, and past glibc's 128 KiB threshold that is an mmap, an mremap and a
# munmap per read.
RECV_BYTES = 64 * 1024
READY = "ready"
START_SECONDS = 60.0  # imports and the first connection; far more than they take
STOP_SECONDS = 30.0
RESTART_PAUSE_SECONDS = 1.0
Pending = asyncio.Future[pipeline.Answer]


def frame(value: Any) -> bytes:
    data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


class WriteProcess:
    """The helper of one server process. `start`, `write` and `close` run on the server's
    event loop; `hit` blocks, for the worker threads that serve reads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._process: Any = None
        self._limits: Connection | None = None
        self._limits_lock = threading.Lock()
        self._stream: asyncio.StreamWriter | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: deque[Pending] = deque()  # sent, in order, not yet answered
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Start the helper and wait until it can write."""
        process, sock, limits = await anyio.to_thread.run_sync(self._spawn)
        reader, self._stream = await asyncio.open_unix_connection(sock=sock)
        self._process, self._limits = process, limits
        self._reader = asyncio.create_task(self._read_answers(reader))
        self._ready.set()

    def _spawn(self) -> tuple[Any, socket.socket, Connection]:
        context = multiprocessing.get_context("spawn")
        ours, theirs = socket.socketpair()
        limits, their_limits = context.Pipe()
        process = context.Process(
            target=serve,
            args=(self.settings, theirs, their_limits, os.getpid()),
            name="maxwork-leads-writer",
            daemon=True,
        )
        try:
            process.start()
        finally:
            theirs.close()
            their_limits.close()
        ours.settimeout(START_SECONDS)
        try:
            started = Frames(ours).next(wait=True)
        except (OSError, EOFError):
            started = None
        if started is None or pickle.loads(started) != READY:
            process.kill()
            raise RuntimeError("the write process did not start")
        ours.settimeout(None)
        return process, ours, limits

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def write(
        self, services: pipeline.Services, job: grouped.Job | grouped.Refusal
    ) -> pipeline.Answer:
        """`pipeline.write` (or `refuse`) for one request, done by the helper with the
        others waiting.

        Work that cannot be sent (none of this service's own) is written here instead, in
        a thread. If the helper dies before it answers, whether the request was committed
        is unknown: it gets a 500 (a retry with its Idempotency-Key is safe), and a new
        helper takes the next requests.
        """
        try:
            data = frame(job)
        except (pickle.PicklingError, TypeError, AttributeError):
            log.exception("a write cannot be sent to the write process; writing it here")
            return await anyio.to_thread.run_sync(job.alone, services)
        await self._ready.wait()
        assert self._stream is not None
        answer: Pending = asyncio.get_running_loop().create_future()
        self._pending.append(answer)
        self._stream.write(data)
        # shield: a client that goes away must not lose the answer's place in the order.
        return await asyncio.shield(answer)

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        """Settle the oldest pending requests with each group of answers, as it comes."""
        try:
            while True:
                size = HEADER.unpack(await reader.readexactly(HEADER.size))[0]
                answers: list[pipeline.Answer] = pickle.loads(await reader.readexactly(size))
                for answer in answers:
                    pending = self._pending.popleft()
                    if not pending.done():
                        pending.set_result(answer)
        except (asyncio.IncompleteReadError, OSError):
            if self._stream is None:
                return  # closed on purpose
            log.error(
                "the write process ended with %d requests unanswered; starting another",
                len(self._pending),
            )
        self._ready.clear()
        self._fail_pending()
        await anyio.to_thread.run_sync(self._stop_process)
        while True:  # writes wait meanwhile: they have nowhere else to go
            try:
                await self.start()
                return
            except Exception:
                log.exception("the write process could not be started again; retrying")
                await asyncio.sleep(RESTART_PAUSE_SECONDS)

    def _fail_pending(self) -> None:
        failure = InternalError(
            "the service stopped while writing this request; whether it was written is "
            "unknown: send it again (with the same Idempotency-Key, it acts once)"
        )
        while self._pending:
            pending = self._pending.popleft()
            if not pending.done():
                pending.set_result(pipeline.error_answer(failure))

    def hit(self, key: str, interval: float, burst: int) -> tuple[bool, float, float] | None:
        """The rate limiter's `Store.hit`, answered by the helper's memory; None (the
        request goes through unlimited) while the helper is being replaced."""
        with self._limits_lock:
            try:
                assert self._limits is not None
                self._limits.send((key, interval, burst))
                decision: tuple[bool, float, float] = self._limits.recv()
                return decision
            except (EOFError, OSError, AssertionError):
                log.warning("the write process does not answer; request not rate-limited")
                return None

    async def close(self) -> None:
        """Let the helper finish what it was sent (closing its socket ends its loop), and
        wait for it. Call it once no request is waiting for an answer."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        if self._reader is not None:
            self._reader.cancel()
        await anyio.to_thread.run_sync(self._stop_process)

    def _stop_process(self) -> None:
        with self._limits_lock:
            if self._limits is not None:
                self._limits.close()
                self._limits = None
            process, self._process = self._process, None
        if process is not None:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


def share_limiter(limiter: Limiter, helper: WriteProcess) -> None:
    """Make the server process's limiter ask the helper, when it keeps its state in memory."""
    if isinstance(limiter.store, MemoryStore):
        limiter.store = helper


class Frames:
    """Length-prefixed pickles read from a blocking socket, one at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def next(self, *, wait: bool) -> bytes | None:
        """The next whole frame; without `wait`, None when none has fully arrived.
        EOFError once the other side has closed."""
        while True:
            if len(self.buffer) >= HEADER.size:
                end = HEADER.size + HEADER.unpack_from(self.buffer)[0]
                if len(self.buffer) >= end:
                    data = bytes(self.buffer[HEADER.size : end])
                    del self.buffer[:end]
                    return data
            if not wait and not select.select([self.sock], [], [], 0)[0]:
                return None
            chunk = self.sock.recv(RECV_BYTES)
            if not chunk:
                raise EOFError
            self.buffer += chunk


def serve(settings: Settings, sock: socket.socket, limits: Connection, parent: int) -> None:
    """The helper's main: write what has arrived as one group, answer, and again, until
    the server process closes the socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s %(message)s")
    outlive_parent(parent)
    database = Database(settings)
    checkpointer = database.checkpoint_in_background()
    limiter = make_limiter(
        settings.rate_limit_per_second, settings.rate_limit_burst, settings.redis_url
    )
    services = pipeline.Services(settings, database, limiter)
    threading.Thread(
        target=_answer_limits, args=(limits, limiter), name="limits", daemon=True
    ).start()
    heap.settle()
    sock.sendall(frame(READY))
    frames = Frames(sock)
    try:
        while True:
            try:
                group = [frames.next(wait=True)]
                while len(group) < MAX_GROUP and (more := frames.next(wait=False)):
                    group.append(more)
            except EOFError:
                return
            jobs: list[grouped.Job | grouped.Refusal] = [
                pickle.loads(data) for data in group if data
            ]
            sock.sendall(frame(grouped.write_all(services, jobs)))
            database.catch_up()  # once the answers are out
    finally:
        if checkpointer is not None:
            checkpointer.stop()
        database.dispose()
        sock.close()


def _answer_limits(limits: Connection, limiter: Limiter) -> None:
    while True:
        try:
            key, interval, burst = limits.recv()
        except (EOFError, OSError):
            return
        limits.send(limiter.store.hit(key, interval, burst))
