"""One database's whole run: fresh database, both baselines, the real server, every scenario.

Everything one table row compares is measured here, in this run, on this machine: the
service's requests/s is divided by the FastAPI baseline and by the database commit
baseline measured minutes before, not by a number from another day.
"""

from __future__ import annotations

import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from bench import bulk_load, databases, people, procs, tools, wrk
from bench.databases import Seed, Target

SCENARIO_BLOCK = 4_000_000  # phone numbers reserved per run (2M per wrk thread)
BATCH_BLOCK = 8_000_000
BATCH_SIZE = 500
# 32 connections x 500 leads would be 16,000 leads in flight: a queue, not a client. Four
# batch connections (2,000 leads in flight) keep both workers busy, which is all leads/s needs.
BATCH_CONNECTIONS = 4
KNOWN_FALLBACK = 200_000
SINGLE_TIMEOUT = 10.0  # wrk counts a slower answer as a timeout error
BATCH_TIMEOUT = 60.0  # 500 leads per request may legitimately take a while
DRAIN_TIMEOUT = 60.0  # longest wait for the server to finish what wrk left in flight
# The commit baseline is one tight loop with nothing to warm up: its rate is steady within
# seconds, and 30 s of it only made a full run longer on a machine having a slow day.
COMMIT_SECONDS = 10.0


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    script: str
    batch: int = 1
    known: bool = False  # pre-create contacts for every other request's person
    follows: bool = False  # every request is about a bulk-loaded person with an open lead

    @property
    def phone_span(self) -> int:
        return BATCH_BLOCK if self.batch > 1 else SCENARIO_BLOCK

    @property
    def timeout(self) -> float:
        return BATCH_TIMEOUT if self.batch > 1 else SINGLE_TIMEOUT

    def connections(self, requested: int) -> int:
        return min(requested, BATCH_CONNECTIONS) if self.batch > 1 else requested


SCENARIOS = {
    "a": Scenario("a", "(a) New", "new.lua"),
    "b": Scenario("b", "(b) Contacted, half known", "contacted.lua", known=True),
    "c": Scenario("c", "(c) mix 50/30/20 qualified", "mix.lua"),
    "d": Scenario(
        "d", f"(d) batch of {BATCH_SIZE}, {BATCH_CONNECTIONS} conns", "batch.lua", batch=BATCH_SIZE
    ),
    # Side by side only (bench/compare.py): it needs open leads bulk-loaded first.
    "f": Scenario("f", "(f) follow-ups on open leads", "followup.lua", follows=True),
    "g": Scenario("g", "(g) follow-ups with External_LeadIds", "followup_ids.lua", follows=True),
}
ALL_KEYS = ("a", "b", "c", "d", "e")


# One measurement on a fresh server process: (target, seconds) -> its row.
Measure = Callable[[Target, float], "Row"]
# The order of the results table, whatever the order of measuring.
ROW_ORDER = ("setup", "commit", "fastapi", "a", "b", "server", "c", "d", "e", "e_a", "e_b")


@dataclass(frozen=True)
class Measured:
    """One row to measure on fresh server processes: where, under which key, and how."""

    target: Target
    key: str
    label: str
    measure: Measure


@dataclass(frozen=True)
class Preloaded:
    """The second database of a run with (e): seeded like the first, plus N bulk-loaded people."""

    target: Target
    seed: Seed
    summary: str


@dataclass(frozen=True)
class Options:
    """What to run and for how long (the same for every database)."""

    scenarios: tuple[str, ...]
    connections: int
    duration: float
    warmup: float
    preload: int
    processes: int = 1  # fresh server processes sharing each measurement a target divides
    keep: bool = False


@dataclass
class Row:
    """One line of the results table; None where a measure does not apply."""

    database: str
    key: str
    label: str
    requests_per_second: float | None = None
    leads_per_second: float | None = None
    db_leads_per_second: float | None = None  # leads committed while wrk ran, from the DB
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    requests: int | None = None
    non_2xx: int | None = None
    socket_errors: int | None = None
    peak_rss_mib: float | None = None
    # Server CPU (all its processes, user + system) per lead answered while wrk ran: steadier
    # than req/s on a noisy machine, since time spent waiting for the CPU does not count.
    cpu_ms_per_lead: float | None = None
    db_size_mib: float | None = None
    leads_written: int | None = None
    contacts_written: int | None = None
    drain_seconds: float | None = None
    vs_fastapi: float | None = None
    vs_commit: float | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DatabaseRun:
    """Runs every selected measurement against one database kind."""

    kind: str
    options: Options
    wrk_binary: str
    run_id: str
    rows: list[Row] = field(default_factory=list)
    phones: people.PhoneSpace = field(default_factory=people.PhoneSpace)

    def execute(self) -> list[Row]:
        """Fresh database, commit baseline, FastAPI baseline, then the service's scenarios."""
        workdir = databases.workdir()
        try:
            target = databases.fresh(self.kind, workdir)
        except Exception as exc:  # e.g. PostgreSQL not reachable: say so, run the others
            shutil.rmtree(workdir, ignore_errors=True)
            self.rows.append(Row(self.kind, "setup", "fresh database", error=_describe(exc)))
            return self.rows
        print(f"\n== {target.label}: {target.url} ({target.workers} worker(s))", flush=True)
        try:
            self._measure(target)
        finally:
            databases.cleanup(target, self.options.keep)
        self.rows.sort(key=lambda row: ROW_ORDER.index(row.key))
        self._ratios()
        return self.rows

    def _measure(self, target: Target) -> None:
        try:
            databases.migrate(target)
            seed = databases.seed(target)
        except Exception as exc:
            traceback.print_exc()
            self.rows.append(Row(target.kind, "setup", "migrate and seed", error=_describe(exc)))
            return
        chosen = self.options.scenarios
        self._guard(target, "commit", "DB one-row commit", lambda: self._commit(target))
        fastapi = Measured(target, "fastapi", "FastAPI parse-only", self._fastapi(seed))
        self._on_fresh_processes([fastapi])
        full: list[Preloaded] = []
        if "e" in chosen:
            self._guard(target, "e", "(e) preload", lambda: full.append(self._preload(target)))
        try:
            for base in ("a", "b"):
                pair = [self._measured(target, seed, base)] if base in chosen else []
                for f in full:
                    note = f.summary if base == "a" else None
                    pair.append(self._measured(f.target, f.seed, f"e_{base}", note))
                self._on_fresh_processes(pair)
        finally:
            for preloaded in full:
                databases.cleanup(preloaded.target, self.options.keep)
        if "c" in chosen or "d" in chosen:
            self._guard(target, "server", "maxwork-leads serve", lambda: self._shared(target, seed))

    def _guard(self, target: Target, key: str, label: str, step: Callable[[], None]) -> None:
        """Run one measurement; a failure becomes a row that says so, and the run goes on."""
        started = time.monotonic()
        try:
            step()
        except Exception as exc:
            traceback.print_exc()
            self.rows.append(Row(target.kind, key, label, error=_describe(exc)))
        print(f"   {label}: {time.monotonic() - started:.1f} s", flush=True)

    # -- baselines ---------------------------------------------------------------------------

    def _commit(self, target: Target) -> None:
        seconds = min(self.options.duration, COMMIT_SECONDS)
        rate = databases.commit_baseline(target, seconds, self.options.connections)
        how = "1 writer, Python loop" if target.kind == "sqlite" else "pgbench"
        row = Row(target.kind, "commit", "DB one-row commit", leads_per_second=rate)
        row.requests_per_second = rate
        row.notes.append(f"commits/s ({how}; one INSERT per transaction)")
        self.rows.append(row)

    def _on_fresh_processes(self, rows: list[Measured]) -> None:
        """Each row measured on `processes` fresh server processes, one after the other,
        each for an equal share of the duration: the run of its median process.

        One server process can run several percent faster or slower than the next of the
        same code for its whole life: a ratio of two single processes carries both their
        luck. The rows the targets divide (the FastAPI baseline, (a), (b) and (e)) are
        measured this way; (c) and (d), compared with nothing, share one process.

        Rows given together take turns, process by process, in alternating order (ABBA):
        (a) on the empty database and (e)a on the preloaded one meet the same drift of
        this machine's speed, instead of being measured minutes apart.
        """
        count = self.options.processes
        seconds = self.options.duration / count
        measured: dict[str, list[Row]] = {row.key: [] for row in rows}
        failures: dict[str, BaseException] = {}
        started = time.monotonic()
        for turn in range(count):
            for row in rows if turn % 2 == 0 else rows[::-1]:
                try:
                    measured[row.key].append(row.measure(row.target, seconds))
                except Exception as exc:
                    traceback.print_exc()
                    failures[row.key] = exc
        for row in rows:
            if measured[row.key]:
                self.rows.append(_median(measured[row.key], seconds))
            else:
                error = _describe(failures[row.key])
                self.rows.append(Row(row.target.kind, row.key, row.label, error=error))
        took = time.monotonic() - started
        labels = " and ".join(row.label for row in rows)
        if rows:
            print(f"   {labels} ({count} process(es) each): {took:.1f} s", flush=True)

    def _measured(self, target: Target, seed: Seed, key: str, note: str | None = None) -> Measured:
        """Scenario `key` (a, b, e_a or e_b) as a row to measure on fresh processes."""
        if key.startswith("e_"):
            label = f"(e) {key[2:]} on {self.options.preload:,} preloaded"
        else:
            label = SCENARIOS[key].label
        return Measured(target, key, label, self._served(seed, key, label, note))

    def _fastapi(self, seed: Seed) -> Measure:
        def measure(target: Target, seconds: float) -> Row:
            port = tools.free_port()
            command = [str(tools.BIN / "python"), "-m", "bench.baseline_app"]
            command += ["--workers", str(target.workers), "--port", str(port)]
            log = target.workdir / "baseline.log"
            with procs.running(command, {"PYTHONPATH": str(tools.ROOT)}, port, log) as server:
                self._warm(server, seed)
                row = self._wrk_row(
                    target,
                    server,
                    seed,
                    "fastapi",
                    "FastAPI parse-only",
                    "new.lua",
                    seconds=seconds,
                )
            row.notes.append("same Lua as (a); no database")
            return row

        return measure

    # -- the service ---------------------------------------------------------------------------

    @contextmanager
    def _service(self, target: Target, seed: Seed) -> Iterator[procs.Server]:
        """`maxwork-leads serve` started on the target and warmed up; stopped afterwards."""
        port = tools.free_port()
        command, env = databases.serve_command(target, port)
        with procs.running(command, env, port, target.workdir / "server.log") as server:
            self._warm(server, seed)
            yield server

    def _served(self, seed: Seed, key: str, label: str, note: str | None = None) -> Measure:
        """A scenario (`key` a, b, e_a or e_b) on a server process started for it."""
        scenario = SCENARIOS[key.removeprefix("e_")]

        def measure(target: Target, seconds: float) -> Row:
            with self._service(target, seed) as server:
                return self._scenario(
                    target, server, seed, scenario, key=key, label=label, note=note, seconds=seconds
                )

        return measure

    def _shared(self, target: Target, seed: Seed) -> None:
        """(c) and (d), one after the other on one server process."""
        with self._service(target, seed) as server:
            for key in ("c", "d"):
                if key in self.options.scenarios:
                    scenario = SCENARIOS[key]
                    self._guard(
                        target,
                        key,
                        scenario.label,
                        lambda s=scenario: self.rows.append(
                            self._scenario(target, server, seed, s, key=s.key)
                        ),
                    )

    def _preload(self, target: Target) -> Preloaded:
        """(e)'s database: a second one like `target`, migrated and seeded, then N leads
        and contacts bulk-loaded; (a) and (b) run on `target` and on this one in turns."""
        count = self.options.preload
        name = f"{databases.POSTGRES_BENCH_DB}_preloaded"
        full = databases.fresh(target.kind, databases.workdir(), name=name)
        try:
            databases.migrate(full)
            seed = databases.seed(full)
            plan = bulk_load.Plan(count, count, f"e{self.run_id}", self.phones.take(count))
            print(f"   bulk-loading {count:,} leads and contacts...", flush=True)
            stats = bulk_load.load(full.url, seed.owner, plan)
        except BaseException:
            databases.cleanup(full, self.options.keep)
            raise
        print(f"   {stats.summary()}", flush=True)
        return Preloaded(full, seed, stats.summary())

    def _scenario(
        self,
        target: Target,
        server: procs.Server,
        seed: Seed,
        scenario: Scenario,
        *,
        key: str,
        label: str | None = None,
        note: str | None = None,
        seconds: float | None = None,
    ) -> Row:
        duration = seconds or self.options.duration
        extra: dict[str, str] = {}
        if scenario.known:
            extra = self._known_contacts(target, seed, key, duration)
        before = databases.row_counts(target)
        row = self._wrk_row(
            target,
            server,
            seed,
            key,
            label or scenario.label,
            scenario.script,
            extra,
            scenario,
            seconds=duration,
        )
        row.drain_seconds = self._drain(server)
        if row.drain_seconds > 2:
            row.notes.append(f"server still busy {row.drain_seconds:.0f} s after wrk stopped")
        after = databases.row_counts(target)
        row.leads_written = after["leads"] - before["leads"]
        row.contacts_written = after["contacts"] - before["contacts"]
        # From wrk's start until the server went quiet (wait_idle looks every IDLE_CHECK).
        busy = wrk.whole_seconds(duration) + max(0.0, row.drain_seconds - procs.IDLE_CHECK)
        row.db_leads_per_second = row.leads_written / busy
        answered = (row.requests or 0) * scenario.batch
        if row.leads_written < answered - (row.non_2xx or 0) * scenario.batch:
            row.notes.append(f"only {row.leads_written:,} leads written for {answered:,} answered")
        row.db_size_mib = databases.size_bytes(target) / 2**20
        if note:
            row.notes.append(note)
        return row

    def _known_contacts(
        self, target: Target, seed: Seed, key: str, seconds: float
    ) -> dict[str, str]:
        """Pre-create enough contacts for the run's "already a contact" half, with the loader.

        Sized from the matching (a) run (twice what (b) needs at (a)'s rate); the Lua script
        counts any request that found its slice used up, and the row says so.
        """
        reference = self._row("e_a" if key == "e_b" else "a")
        rate = reference.requests_per_second if reference else None
        count = int(rate * wrk.whole_seconds(seconds)) + 10_000 if rate else KNOWN_FALLBACK
        tag = f"k{key}{self.run_id}n{self.phones.next_index}"  # each process's run its own
        plan = bulk_load.Plan(0, count, tag, self.phones.take(count))
        stats = bulk_load.load(target.url, seed.owner, plan)
        print(f"   known contacts for ({key}): {stats.summary()}", flush=True)
        return {
            "BENCH_KNOWN_TAG": plan.tag,
            "BENCH_KNOWN_BASE": str(plan.phone_base),
            "BENCH_KNOWN_COUNT": str(count),
        }

    # -- wrk -----------------------------------------------------------------------------------

    def _warm(self, server: procs.Server, seed: Seed) -> None:
        """A short untimed run first, so imports, pools and caches are warm for every row."""
        env = lua_env(seed, f"w{self.run_id}{server.pgid}", self.phones, 1_000_000)
        wrk.run(
            self.wrk_binary,
            server.url,
            "new.lua",
            env,
            duration=self.options.warmup,
            connections=self.options.connections,
        )
        self._drain(server)

    @staticmethod
    def _drain(server: procs.Server) -> float:
        """Let the server finish requests wrk abandoned, so they do not count in the next run."""
        return procs.wait_idle(server.pgid, DRAIN_TIMEOUT)

    def _wrk_row(
        self,
        target: Target,
        server: procs.Server,
        seed: Seed,
        key: str,
        label: str,
        script: str,
        extra: dict[str, str] | None = None,
        scenario: Scenario | None = None,
        *,
        seconds: float,
    ) -> Row:
        shape = scenario or SCENARIOS["a"]  # the baselines load as (a) does
        batch = shape.batch
        env = lua_env(
            seed, f"{key}{self.run_id}{server.pgid}", self.phones, shape.phone_span, extra
        )
        cpu_before = procs.group_cpu_seconds(server.pgid)
        with procs.RssSampler(server.pgid) as rss:
            result = wrk.run(
                self.wrk_binary,
                server.url,
                script,
                env,
                duration=seconds,
                connections=shape.connections(self.options.connections),
                timeout=shape.timeout,
            )
        cpu = procs.group_cpu_seconds(server.pgid) - cpu_before
        return _row_from(target, key, label, result, batch, rss.peak_mib, cpu)

    # -- ratios --------------------------------------------------------------------------------

    def _row(self, key: str) -> Row | None:
        for row in self.rows:
            if row.key == key and row.error is None:
                return row
        return None

    def _ratios(self) -> None:
        fastapi, commit = self._row("fastapi"), self._row("commit")
        for row in self.rows:
            if row.leads_per_second is None or row.key in ("fastapi", "commit"):
                continue
            if fastapi and fastapi.requests_per_second:
                row.vs_fastapi = row.leads_per_second / fastapi.requests_per_second
            if commit and commit.leads_per_second:
                row.vs_commit = row.leads_per_second / commit.leads_per_second


def lua_env(
    seed: Seed, tag: str, phones: people.PhoneSpace, span: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """What the Lua scripts read (`lua/common.lua`): the credential, the listing, a tag
    that makes the people new, and a fresh block of `span` phone numbers."""
    return {
        "BENCH_TOKEN": seed.token,
        "BENCH_USER": seed.username,
        "BENCH_REFERENCE": seed.owner.public_reference,
        "BENCH_TAG": tag,
        "BENCH_PHONE_BASE": str(phones.take(span)),
        "BENCH_PHONE_SPAN": str(span),
        "BENCH_BATCH_SIZE": str(BATCH_SIZE),
        **(extra or {}),
    }


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _median(rows: list[Row], seconds: float) -> Row:
    """The run of the median process by requests/s (of an even number, the slower of the
    middle two), as measured; what a client would have met from any of them (non-2xx
    answers, socket errors, peak memory) over all of them."""
    ranked = sorted(rows, key=lambda row: row.requests_per_second or 0.0)
    row = ranked[(len(ranked) - 1) // 2]
    if len(rows) == 1:
        return row
    row.non_2xx = sum(r.non_2xx or 0 for r in rows)
    row.socket_errors = sum(r.socket_errors or 0 for r in rows)
    row.peak_rss_mib = max(r.peak_rss_mib or 0.0 for r in rows)
    each = " / ".join(f"{r.requests_per_second or 0:,.0f}" for r in rows)
    row.notes.append(
        f"median of {len(rows)} fresh server processes, "
        f"{wrk.whole_seconds(seconds)} s each: {each} req/s"
    )
    return row


def _row_from(
    target: Target,
    key: str,
    label: str,
    result: wrk.WrkResult,
    batch: int,
    peak: float,
    cpu_seconds: float,
) -> Row:
    row = Row(
        target.kind,
        key,
        label,
        requests_per_second=result.requests_per_second,
        leads_per_second=result.requests_per_second * batch,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        max_ms=result.max_ms,
        requests=result.requests,
        non_2xx=result.non_2xx,
        socket_errors=sum(result.socket_errors.values()),
        peak_rss_mib=peak,
        cpu_ms_per_lead=cpu_seconds * 1000 / (result.requests * batch) if result.requests else None,
    )
    if result.requests == 0:  # wrk prints zeros for the latency of no requests at all
        row.p50_ms = row.p90_ms = row.p99_ms = row.max_ms = None
        row.notes.append("no request completed within the run (see DB leads/s)")
    missed = result.counters.get("known_missed", 0)
    if missed:
        row.notes.append(f"{missed} requests found no pre-created contact left (sent strangers)")
    if result.counters.get("known_used"):
        row.notes.append(f"{result.counters['known_used']} requests matched a pre-created contact")
    if row.socket_errors:
        row.notes.append(f"socket errors {result.socket_errors}")
    return row
