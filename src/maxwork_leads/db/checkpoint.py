"""SQLite's WAL checkpoints, run beside the writer instead of inside its commits.

In WAL mode a commit appends to the -wal file, and by default the commit that takes the
log past 1,000 pages also copies the log back into the database file and syncs it: a
stall of several milliseconds for that commit's whole group of requests, every second
or two under load. Moved out of the commits, scenario (a) of `make bench` answered
about 7 % more requests/s (five alternating 8 s pairs: 1,487 against 1,385 on average);
its p99 stayed where it was, set by how requests queue for the writer.

A server process instead runs passive checkpoints from its own connection in a thread:
a passive checkpoint never waits for the writer and never makes it wait, and its I/O
runs without the interpreter lock. The server's connections keep an automatic
checkpoint at a much larger log, as a safety net should this thread ever fall behind.

Under steady load the log never starts over: a passive checkpoint copies the frames that
were there when it began, the writer appends more meanwhile, and the log only restarts
when a write transaction begins with every frame copied. So the safety net is reached
anyway, every second or so at 4,000 leads/s, and the commit that reaches it copies what
the thread has not copied yet, then syncs the log and the database file. With a round
every 0.5 s, that commit took 20-50 ms (`strace` of the write process showed the syncs
in its own thread), and the requests queued behind it made the p99 latency. A round
every 0.1 s leaves that commit a fifth of the copying: `bench.compare --scenario a
--rounds 6` gave a p99 of 16.7 ms against 32.0 (scenario b: 17.5 against 32.0), and
2-4 % more leads/s for the same CPU per lead.

That commit still stalled its group about twice a second: timing each commit of the
write process under (a) showed 19-26 of about 3,000 groups a run whose commit took 14-26
ms (the median commit: 0.3 ms), and they were the slowest groups, each holding a dozen
requests, with more queued behind. What it copies and syncs is the log written since
the thread's last round began. So the writer now restarts the log itself, at a moment
that leaves it little to copy: once a round of the thread finds the log past
`RESTART_PAGES`, the writer, between two transactions, runs one more passive checkpoint
(`catch_up`), which copies only what was committed since that round began; nothing
writes meanwhile, so its next transaction starts the log over. The commits' own
checkpoint is then not reached under steady load: under (a), no commit over 2 ms, and
about three catch-ups a second of 5-15 ms each (syncing the log and the file has a floor
of about 6 ms). A catch-up took longer the larger the log it restarted: 9-19 ms past
8,000 pages, 18-37 ms past 20,000, so the restart size is small. `bench.compare
--scenario a --rounds 8`, twice: p99 91.8 % and 83.8 %, leads/s 96.4 % and 99.4 %;
(b) p99 93.2 %; batches (d), which write the log fastest, 94.8 % leads/s.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("maxwork_leads.db")

INTERVAL_SECONDS = 0.1
# The server's own connections checkpoint only past this many pages (40 MB at 4 KiB).
SAFETY_NET_PAGES = 10_000
# Past this many pages of log (16 MB), the writer catches up and the log starts over.
RESTART_PAGES = 4_000


class Checkpointer:
    """Checkpoints one SQLite file's WAL every `interval` seconds, on its own connection."""

    def __init__(
        self, path: str, interval: float = INTERVAL_SECONDS, restart_pages: int = RESTART_PAGES
    ) -> None:
        self.path = path
        self.interval = interval
        self.restart_pages = restart_pages
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        connection = None
        try:
            while not self._stop.wait(self.interval):
                if connection is None:
                    connection = sqlite3.connect(self.path, timeout=0)
                    connection.execute("PRAGMA synchronous=NORMAL")
                if not self.round(connection):
                    # Not in WAL mode as this connection saw the file when it opened it
                    # (before the server's first connection switched it): open afresh.
                    connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()

    def round(self, connection: sqlite3.Connection) -> bool:
        """One of the thread's checkpoints; False when the connection sees no WAL."""
        frames = checkpoint(connection)[1]
        if frames >= self.restart_pages:
            self._due.set()
        return frames != -1

    def restart_due(self) -> bool:
        """Whether the writer should `catch_up` before its next transaction."""
        return self._due.is_set()

    def catch_up(self, connection: sqlite3.Connection) -> None:
        """The writer's checkpoint, between two of its transactions, on its own connection
        (outside any transaction), so that its next transaction starts the log over.

        It may find the thread checkpointing, or a reader on an old snapshot, and leave
        the log as it is: the thread's next round asks again.
        """
        self._due.clear()
        checkpoint(connection)


def checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """One passive checkpoint: (1 if it could not run now, frames in the log, frames
    copied), with -1 frames when the connection does not see a WAL. A failure is logged,
    never raised: the next round tries again."""
    try:
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error:
        log.exception("WAL checkpoint failed; trying again in the next round")
        return (1, -1, -1)
    return (int(row[0]), int(row[1]), int(row[2]))
