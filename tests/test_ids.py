"""IDs drawn from a pool of random bytes: never the same bytes twice."""

from __future__ import annotations

import os
import uuid

from maxwork_leads import ids

RANDOM_PART = (1 << 62) - 1  # the low 62 bits are random


def test_ids_stay_distinct_across_refills_of_the_pool() -> None:
    drawn = [ids.new_id() for _ in range(3 * ids.DRAWN_AT_ONCE + 1)]
    assert len({i.int & RANDOM_PART for i in drawn}) == len(drawn)


def test_a_forked_child_does_not_reuse_its_parent_s_random_bytes() -> None:
    ids.new_id()  # the pool holds unused bytes when the process forks
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write one ID and leave without running the test's teardown
        os.write(writer, ids.new_id().bytes)
        os._exit(0)
    os.close(writer)
    child = uuid.UUID(bytes=os.read(reader, 16))
    os.close(reader)
    os.waitpid(pid, 0)
    assert child.int & RANDOM_PART != ids.new_id().int & RANDOM_PART
