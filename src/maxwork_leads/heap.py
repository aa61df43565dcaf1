"""The cyclic garbage collector, set for a long-running server process.

A full collection walks every tracked object, and most of them were built at startup and
live as long as the process: FastAPI, Pydantic, SQLAlchemy and phonenumbers' metadata,
a few hundred thousand objects. Under load, the objects of the requests in flight survive
the young collections often enough to trigger a full one about twice a second, and each
stopped the event loop and the writer for 90-110 ms: that pause was the p99 latency of
the service (`make bench`, scenario (a)). Freezing what startup built takes it out of every
later collection; collecting the young generation less often promotes fewer short-lived
request objects in the first place. Garbage is still collected, only with less work each time.
"""

from __future__ import annotations

import gc

# Allocations between two young collections (CPython's default is 700). A request
# allocates a few thousand objects, so the default collects several times per request.
YOUNG_THRESHOLD = 50_000


def settle() -> None:
    """Freeze what exists now and collect the young generation less often.

    Call it once the process has started and before it serves: what is alive then is
    meant to stay, and garbage made before is collected first so that none is frozen.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
