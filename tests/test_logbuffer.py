"""The access log's handler writes its lines in blocks, late by at most its interval."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from maxwork_leads.logbuffer import BufferedStreamHandler


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


def logger_with(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"test.logbuffer.{id(handler)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


@pytest.fixture
def handler_on(stream: io.StringIO) -> Iterator[Callable[..., BufferedStreamHandler]]:
    """Handlers on the test's stream, closed at the end of the test."""
    made: list[BufferedStreamHandler] = []

    def make(**options: Any) -> BufferedStreamHandler:
        made.append(BufferedStreamHandler(stream, **options))
        return made[-1]

    yield make
    for handler in made:
        handler.close()


@pytest.fixture
def slow(handler_on: Callable[..., BufferedStreamHandler]) -> BufferedStreamHandler:
    """A handler whose timer never fires during a test."""
    return handler_on(interval=3600)


def test_lines_wait_then_reach_the_stream_in_order_within_the_interval(
    stream: io.StringIO, handler_on: Callable[..., BufferedStreamHandler]
) -> None:
    log = logger_with(handler_on(interval=0.2))
    for n in range(3):
        log.info("line %d", n)
    assert stream.getvalue() == ""
    deadline = time.monotonic() + 5
    while stream.getvalue().count("\n") < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stream.getvalue() == "line 0\nline 1\nline 2\n"


def test_a_warning_goes_out_at_once_after_the_lines_before_it(
    stream: io.StringIO, slow: BufferedStreamHandler
) -> None:
    log = logger_with(slow)
    log.info("first")
    log.warning("second")
    assert stream.getvalue() == "first\nsecond\n"


def test_a_full_buffer_is_written_without_waiting(
    stream: io.StringIO, handler_on: Callable[..., BufferedStreamHandler]
) -> None:
    log = logger_with(handler_on(interval=3600, capacity=20))
    log.info("0123456789")
    assert stream.getvalue() == ""
    log.info("0123456789")
    assert stream.getvalue() == "0123456789\n0123456789\n"


def test_closing_writes_what_waits_and_stops_the_timer(
    stream: io.StringIO, slow: BufferedStreamHandler
) -> None:
    logger_with(slow).info("last words")
    slow.close()
    assert stream.getvalue() == "last words\n"
    slow._flusher.join(1)
    assert not slow._flusher.is_alive()


class Broken(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("disk full")


def test_a_stream_that_fails_never_fails_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)  # logging's report of the failure
    handler = BufferedStreamHandler(Broken(), interval=3600)
    try:
        logger_with(handler).warning("written at once, and fails")
    finally:
        handler._stopping.set()
