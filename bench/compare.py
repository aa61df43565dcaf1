"""Before and after a change, side by side: two servers, loaded in turn, on one machine.

A full run measures each figure once, minutes apart, and this machine's speed drifts by
more than most single changes gain (the FastAPI baseline alone has moved between 2,000
and 3,600 req/s from one run to the next). Here the base revision (checked out into a
temporary git worktree) and the working tree each run their own server, on their own
fresh database, at the same time; wrk loads one, then the other, for several short
rounds, in alternating order, and both are restarted every few rounds. Both meet the
same drift, the medians span several processes of each, and they tell the two apart.

    .venv/bin/python -m bench.compare --base HEAD               # uncommitted change vs HEAD
    .venv/bin/python -m bench.compare --base main~3 --db postgresql --scenario d

The CPU columns are read from /proc for the server process (each worker, on PostgreSQL)
and, apart, for its helpers (the write process on SQLite, batch validation): each is
limited by one core, so their CPU per lead is the figure a change to the hot path should
lower.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import typer

from bench import bulk_load, databases, people, procs, tools, wrk
from bench.databases import Seed, Target
from bench.scenarios import SCENARIOS, lua_env

app = typer.Typer(add_completion=False)
SIDES = ("base", "change")
WARMUP_SECONDS = 2
WRK: list[str] = []  # the wrk binary, found (or installed) once
# (f)'s and (g)'s people: every request updates one of their open leads. Each round (and
# warm-up) gets a share of its own, first follow-ups all; a round that uses its share up
# sends it again.
FOLLOW_UP_PEOPLE = 200_000
KNOWN: dict[str, str] = {}  # where the Lua scripts find the bulk-loaded people: (b), (f), (g)
# (b)'s pre-created contacts per round: more than half of what a round sends at 4,000 req/s.
KNOWN_PER_ROUND = 20_000
PER_ROUND: list[int] = [KNOWN_PER_ROUND]  # bulk-loaded people each round (and warm-up) gets


def _know(plan: bulk_load.Plan, per_round: int) -> None:
    """Point the Lua scripts at these bulk-loaded people, `per_round` of them a round."""
    KNOWN.update(
        BENCH_KNOWN_TAG=plan.tag,
        BENCH_KNOWN_BASE=str(plan.phone_base),
        BENCH_KNOWN_COUNT=str(per_round),
    )


@dataclass
class Side:
    """One of the two servers, and what each of its rounds measured."""

    name: str
    target: Target
    seed: Seed
    command: list[str]
    env: dict[str, str]
    port: int
    server: procs.Server
    rounds: list[dict[str, float]] = field(default_factory=list)
    known_used: int = 0  # (b)'s contacts, or (f)'s and (g)'s people, handed out so far

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds)

    def restart(self) -> None:
        """A new server process on the same database."""
        procs.stop(self.server)
        self.server = procs.start(self.command, self.env, self.port, self.server.log_path)


def _worktree(revision: str, stack: ExitStack) -> Path:
    """`revision`'s source, checked out into a temporary worktree removed at the end."""
    place = Path(tempfile.mkdtemp(prefix="maxwork-compare-"))
    git = ["git", "-C", str(tools.ROOT)]
    subprocess.run(
        [*git, "worktree", "add", "--quiet", "--detach", str(place), revision], check=True
    )
    stack.callback(subprocess.run, [*git, "worktree", "remove", "--force", str(place)], check=False)
    return place / "src"


def _start(
    name: str, kind: str, source: Path | None, plans: list[bulk_load.Plan], stack: ExitStack
) -> Side:
    workdir = databases.workdir()
    target = databases.fresh(kind, workdir, name=f"maxwork_compare_{name}")
    stack.callback(databases.cleanup, target, False)
    # The base's own code migrates and serves it: a change may bring a migration.
    code = {} if source is None else {"PYTHONPATH": str(source)}  # ahead of the editable install
    databases.migrate(target, code)
    seed = databases.seed(target)
    for plan in plans:
        print(f"   {name}: {bulk_load.load(target.url, seed.owner, plan).summary()}", flush=True)
    port = tools.free_port()
    command, env = databases.serve_command(target, port)
    env.update(code)
    server = procs.start(command, env, port, workdir / "server.log")
    side = Side(name, target, seed, command, env, port, server)
    stack.callback(lambda: procs.stop(side.server))
    return side


def _servers(side: Side) -> set[int]:
    """The processes that serve requests: uvicorn's only process, or its workers (the
    group leader's children but multiprocessing's resource tracker). Everything else in
    the group is a helper."""
    if side.target.workers == 1:
        return {side.server.pgid}
    return {
        pid
        for pid in procs.group_pids(side.server.pgid)
        if procs.parent_pid(pid) == side.server.pgid and not _is_tracker(pid)
    }


def _is_tracker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"resource_tracker" in cmdline.read()
    except OSError:
        return False


def _round(
    side: Side,
    key: str,
    seconds: float,
    connections: int,
    phones: people.PhoneSpace,
    *,
    record: bool = True,
) -> None:
    scenario = SCENARIOS[key]
    batch = scenario.batch
    tag = f"{side.name[0]}{len(side.rounds) if record else 'w'}{os.getpid()}"
    known = dict(KNOWN)
    if scenario.known or scenario.follows:  # each round (of each side) people of its own
        known["BENCH_KNOWN_FIRST"] = str(side.known_used)
        side.known_used += PER_ROUND[0]
    env = lua_env(side.seed, tag, phones, scenario.phone_span, known)
    pids = procs.group_pids(side.server.pgid)
    servers = _servers(side)
    before = {pid: procs.cpu_seconds(pid) for pid in pids}
    result = wrk.run(
        WRK[0],
        side.server.url,
        scenario.script,
        env,
        duration=seconds,
        connections=scenario.connections(connections),
        timeout=scenario.timeout,
    )
    used = {pid: procs.cpu_seconds(pid) - before[pid] for pid in pids}
    procs.wait_idle(side.server.pgid, 60)
    if result.counters.get("known_missed"):
        missed = result.counters["known_missed"]
        print(f"   {side.name}: {missed:,} requests found no pre-created person left")
    if not record:  # a warm-up
        return
    leads = max(1, result.requests * batch)
    side.rounds.append(
        {
            "leads_per_second": result.requests_per_second * batch,
            "p99_ms": result.p99_ms,
            "server_cpu_ms": sum(used[p] for p in servers) / leads * 1000,
            "helper_cpu_ms": sum(used[p] for p in pids if p not in servers) / leads * 1000,
            "non_2xx": result.non_2xx,
        }
    )
    last = side.rounds[-1]
    print(
        f"   {side.name:6} {last['leads_per_second']:8,.0f} leads/s  p99 {last['p99_ms']:6.1f} ms"
        f"  server {last['server_cpu_ms']:.3f}  helpers {last['helper_cpu_ms']:.3f} ms/lead"
        f"  non-2xx {last['non_2xx']:.0f}",
        flush=True,
    )


def _report(sides: dict[str, Side]) -> None:
    base, change = sides["base"], sides["change"]
    print(f"\n{'medians':20} {'base':>10} {'change':>10} {'change/base':>12}")
    for key, label in (
        ("leads_per_second", "leads/s"),
        ("p99_ms", "p99 ms"),
        ("server_cpu_ms", "server CPU ms/lead"),
        ("helper_cpu_ms", "helper CPU ms/lead"),
    ):
        before, after = base.median(key), change.median(key)
        ratio = f"{after / before:.1%}" if before else "-"
        print(f"{label:20} {before:10,.3f} {after:10,.3f} {ratio:>12}")
    failed = sum(r["non_2xx"] for side in sides.values() for r in side.rounds)
    if failed:
        print(f"non-2xx answers: {failed:.0f} (a figure from failing requests means little)")


@app.command()
def main(
    base: Annotated[str, typer.Option(help="Git revision to compare the working tree with.")],
    db: Annotated[str, typer.Option(help="sqlite or postgresql.")] = "sqlite",
    scenario: Annotated[str, typer.Option(help="a, b, c, d, f or g (see the README).")] = "a",
    rounds: Annotated[int, typer.Option(min=1, help="Measurements per server.")] = 8,
    duration: Annotated[float, typer.Option(min=1, help="Seconds per measurement.")] = 5,
    connections: Annotated[int, typer.Option(min=1, help="wrk connections.")] = 32,
    restart_every: Annotated[
        int, typer.Option(min=1, help="Rounds between restarts of both servers.")
    ] = 2,
    preload: Annotated[
        int,
        typer.Option(
            min=0,
            help="Leads and contacts bulk-loaded into each database first "
            f"(scenarios f and g: at least 1, default {FOLLOW_UP_PEOPLE:,}).",
        ),
    ] = 0,
) -> None:
    """Serve the base revision and the working tree side by side; load them in turn."""
    if db not in ("sqlite", "postgresql"):
        raise typer.BadParameter("--db must be sqlite or postgresql")
    if scenario not in SCENARIOS:
        raise typer.BadParameter("--scenario must be a, b, c, d, f or g")
    follows = SCENARIOS[scenario].follows
    if follows and not preload:
        preload = FOLLOW_UP_PEOPLE
    phones = people.PhoneSpace()
    WRK[:] = [tools.ensure_wrk()]
    with ExitStack() as stack:
        source = _worktree(base, stack)
        plans = []
        runs = rounds + -(-rounds // restart_every)  # rounds and warm-ups, each side
        if preload:  # the same people in both databases; only (f), (g) send requests about them
            plan = bulk_load.Plan(preload, preload, f"p{os.getpid()}", phones.take(preload))
            plans.append(plan)
            if follows:
                PER_ROUND[0] = max(1, preload // runs)
                _know(plan, PER_ROUND[0])
        if SCENARIOS[scenario].known:
            # Contacts only, a fresh share of them for each round (warm-ups included).
            count = KNOWN_PER_ROUND * runs
            plans.append(bulk_load.Plan(0, count, f"k{os.getpid()}", phones.take(count)))
            _know(plans[-1], KNOWN_PER_ROUND)
        sides = {
            "base": _start("base", db, source, plans, stack),
            "change": _start("change", db, None, plans, stack),
        }
        print(f"== {db}, scenario ({scenario}): {rounds} rounds of {duration:.0f} s per server")
        for index in range(rounds):
            if index % restart_every == 0:
                _fresh_processes(sides, index, scenario, connections, phones)
            order = SIDES if index % 2 == 0 else SIDES[::-1]
            for name in order:
                _round(sides[name], scenario, duration, connections, phones)
        _report(sides)


def _fresh_processes(
    sides: dict[str, Side], index: int, scenario: str, connections: int, phones: people.PhoneSpace
) -> None:
    """Restart both servers (but before the first round) and warm them up.

    One process can run several per cent faster or slower than another started from the
    same code, for reasons of its own (memory layout, hash seed): two processes compared
    with each other differed by 8.5% with no change at all. Medians over several
    processes per side average that out.
    """
    if index:
        for side in sides.values():
            side.restart()
    print(f"   fresh servers; warming both up for {WARMUP_SECONDS} s each...", flush=True)
    for side in sides.values():
        _round(side, scenario, WARMUP_SECONDS, connections, phones, record=False)


if __name__ == "__main__":
    app()
