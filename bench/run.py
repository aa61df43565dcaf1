"""The benchmark: `.venv/bin/python -m bench.run [--quick]` (or `python bench/run.py`).

Everything a result is compared with is measured in the same run, on the same machine: a
fresh database per kind, its one-row commit rate, a parse-only FastAPI app, then the real
server started with the production command (`maxwork-leads serve`) under wrk. See
bench/README.md for what each number means.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/run.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _reexec_in_venv() -> None:
    """Under a Python without the service installed, start again with the project's venv."""
    try:
        import maxwork_leads  # noqa: F401
    except ImportError:
        venv_python = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
        if not venv_python.exists() or Path(sys.executable) == venv_python:
            raise SystemExit("maxwork_leads is not installed: run `make install` first") from None
        os.execv(venv_python, [str(venv_python), "-m", "bench.run", *sys.argv[1:]])


_reexec_in_venv()

import platform  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Annotated, Any  # noqa: E402

import typer  # noqa: E402

from bench import databases, report, soak, tools  # noqa: E402
from bench.scenarios import ALL_KEYS, DatabaseRun, Options, Row  # noqa: E402

QUICK = {"duration": 3.0, "warmup": 1.0, "preload": 50_000, "processes": 1}
FULL = {"duration": 30.0, "warmup": 3.0, "preload": 1_000_000, "processes": 3}
KINDS = {"sqlite": ("sqlite",), "postgresql": ("postgresql",), "both": ("sqlite", "postgresql")}

app = typer.Typer(add_completion=False, help=__doc__)


def _scenario_keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip().lower() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in ALL_KEYS]
    if unknown:
        raise typer.BadParameter(f"unknown scenario(s) {', '.join(unknown)}; use a,b,c,d,e")
    return keys


def _git_revision() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=tools.ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--", "src") else ""
    return (git("rev-parse", "--short", "HEAD") or "unknown") + dirty


def _postgres_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(databases.POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception as exc:  # reported, not fatal: the SQLite half can still run
        return f"unreachable: {exc}"


def _machine(wrk_binary: str) -> dict[str, Any]:
    """What the numbers depend on, recorded beside them (the load shows a noisy machine)."""
    return {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "wrk": tools.wrk_version(wrk_binary),
        "git": _git_revision(),
        "platform": platform.platform(),
    }


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _finish(rows: list[Row], options: Options, meta: dict[str, Any], stamp: str) -> None:
    """Print the tables and targets; write the JSON and the chart."""
    out = report.console()
    for kind in dict.fromkeys(row.database for row in rows):
        mine = [row for row in rows if row.database == kind]
        out.print(report.table(kind, mine, options.connections, options.duration))
        for note in report.notes(mine):
            out.print(f"  - {note}", highlight=False)
    found = report.verdicts(rows, options.connections)
    out.print(report.verdict_table(found))
    for verdict in found:
        print(f"{verdict.status}: {verdict.target} ({verdict.measured})")
    json_path = tools.RESULTS / f"{stamp}.json"
    report.write_json(json_path, meta, rows, found)
    print(f"results: {json_path.relative_to(tools.ROOT)}")
    if tools.ensure_matplotlib():
        png = tools.RESULTS / f"{stamp}.png"
        report.write_chart(png, rows, f"maxwork-leads benchmark {stamp} ({meta['mode']})")
        print(f"chart:   {png.relative_to(tools.ROOT)}")
    else:
        print("chart:   skipped (matplotlib could not be installed)")


def _soak(kinds: tuple[str, ...], minutes: float, connections: int, keep: bool) -> None:
    wrk_binary = tools.ensure_wrk()
    stamp = _stamp()
    meta = {"mode": "soak", "started_at": stamp, "machine": _machine(wrk_binary)}
    results = []
    for kind in kinds:
        print(f"soak: {kind}, {minutes:g} min of (a), RSS every {soak.SAMPLE_SECONDS:g} s")
        result = soak.soak(kind, minutes, connections, wrk_binary, keep=keep)
        print(result.summary())
        results.append(result.as_dict())
    path = tools.RESULTS / f"{stamp}-soak.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    import json

    path.write_text(json.dumps({**meta, "results": results}, indent=2) + "\n")
    print(f"results: {path.relative_to(tools.ROOT)}")


@app.command()
def main(
    quick: Annotated[
        bool, typer.Option("--quick", help="Short runs, 50,000 preloaded rows: under 2 minutes.")
    ] = False,
    db: Annotated[str, typer.Option(help="sqlite, postgresql or both.")] = "both",
    scenario_list: Annotated[
        str, typer.Option("--scenarios", help="Comma-separated subset of a,b,c,d,e.")
    ] = ",".join(ALL_KEYS),
    connections: Annotated[int, typer.Option(min=1, help="wrk connections.")] = 32,
    duration: Annotated[
        float | None, typer.Option(min=1, help="Seconds per measurement (3 quick, 30 full).")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Fresh server processes sharing each measurement a target divides "
            "(FastAPI, a, b, e); the row is the median process (1 quick, 3 full).",
        ),
    ] = None,
    soak_minutes: Annotated[
        float | None,
        typer.Option("--soak", min=0.1, help="Instead: run (a) this many minutes, watch RSS."),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the databases and server logs afterwards.")
    ] = False,
) -> None:
    """Benchmark the service on SQLite and PostgreSQL; print tables and targets, save JSON."""
    if db not in KINDS:
        raise typer.BadParameter("--db must be sqlite, postgresql or both")
    if soak_minutes is not None:
        _soak(KINDS[db], soak_minutes, connections, keep)
        return
    preset = QUICK if quick else FULL
    options = Options(
        scenarios=_scenario_keys(scenario_list),
        connections=connections,
        duration=duration or preset["duration"],
        warmup=preset["warmup"],
        preload=int(preset["preload"]),
        processes=processes or int(preset["processes"]),
        keep=keep,
    )
    wrk_binary = tools.ensure_wrk()
    stamp = _stamp()
    started = time.monotonic()
    meta: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "started_at": stamp,
        "options": {**options.__dict__, "databases": KINDS[db]},
        "machine": _machine(wrk_binary),
    }
    rows: list[Row] = []
    for kind in KINDS[db]:
        rows += DatabaseRun(kind, options, wrk_binary, stamp[4:15].replace("T", "")).execute()
    meta["finished_at"] = _stamp()
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["load_average_after"] = os.getloadavg()
    _finish(rows, options, meta, stamp)
    print(f"total {meta['seconds']:.0f} s; load average before {meta['machine']['load_average']}")


if __name__ == "__main__":
    app()
