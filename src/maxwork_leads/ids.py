"""Time-ordered, unguessable identifiers (UUID version 7, RFC 9562)."""

from __future__ import annotations

import os
import threading
import time
import uuid

RANDOM_BYTES = 10  # 74 of these 80 bits are used
DRAWN_AT_ONCE = 256  # IDs' worth of random bytes per call to the OS


class _Pool(threading.local):
    """Random bytes from the OS, drawn for many IDs at once, one pool per thread.

    `os.urandom` lets go of the interpreter lock for its system call. A writer thread
    that asked for three IDs per lead gave the lock away three times per lead, and then
    waited for the event loop's thread to hand it back: under load each ID cost several
    microseconds instead of one. Each byte is still used once, in one process.
    """

    def __init__(self) -> None:
        self.empty()

    def empty(self) -> None:
        self.data = b""
        self.at = 0


_pool = _Pool()
# A forked child keeps only the thread that forked, with that thread's pool: emptied, so
# that the child never uses its parent's bytes again.
os.register_at_fork(after_in_child=_pool.empty)


def _random_bits() -> int:
    pool = _pool
    start = pool.at
    if start >= len(pool.data):
        pool.data = os.urandom(RANDOM_BYTES * DRAWN_AT_ONCE)
        start = 0
    pool.at = start + RANDOM_BYTES
    return int.from_bytes(pool.data[start : start + RANDOM_BYTES], "big")


def new_id() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, then 74 random bits.

    Time order keeps B-tree inserts local; the random part keeps one integrator
    from walking another's IDs.
    """
    millis = time.time_ns() // 1_000_000
    rand = _random_bits()
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
