"""What a run prints and keeps: a table per database, the targets, JSON and a chart."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.scenarios import Row

LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def console() -> Console:
    """Wide enough for every column even when the output goes to a file or a pipe."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=200)


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def table(database: str, rows: list[Row], connections: int, duration: float) -> Table:
    """One database's rows: baselines first, then the scenarios."""
    name = LABELS.get(database, database)
    title = f"{name}: {connections} connections, {duration:g} s per measurement"
    result = Table(title=title, title_justify="left", header_style="bold")
    columns = ["scenario", "req/s", "leads/s", "DB leads/s", "p50 ms", "p90 ms", "p99 ms"]
    columns += ["max ms", "non-2xx", "sock err", "CPU ms/lead", "peak RSS MiB", "DB MiB"]
    columns += ["vs FastAPI"]
    columns += ["vs commit"]
    for index, name in enumerate(columns):
        result.add_column(name, justify="left" if index == 0 else "right")
    for row in rows:
        if row.error:
            result.add_row(row.label, "[red]failed[/red]", *["-"] * (len(columns) - 2))
            continue
        result.add_row(
            row.label,
            _num(row.requests_per_second),
            _num(row.leads_per_second),
            _num(row.db_leads_per_second),
            _num(row.p50_ms, 1),
            _num(row.p90_ms, 1),
            _num(row.p99_ms, 1),
            _num(row.max_ms, 1),
            _num(row.non_2xx),
            _num(row.socket_errors),
            _num(row.cpu_ms_per_lead, 3),
            _num(row.peak_rss_mib),
            _num(row.db_size_mib),
            _ratio(row.vs_fastapi),
            _ratio(row.vs_commit),
        )
    return result


def notes(rows: Iterable[Row]) -> list[str]:
    """What the numbers alone do not say, row by row; failures first line only."""
    found = []
    for row in rows:
        if row.error:
            found.append(f"{row.label}: FAILED {row.error.splitlines()[0][:200]}")
        found += [f"{row.label}: {note}" for note in row.notes]
    return found


# -- targets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    status: str  # PASS, FAIL or SKIP
    measured: str


def _find(rows: list[Row], database: str, key: str) -> Row | None:
    return next((r for r in rows if r.database == database and r.key == key), None)


def _stopped(rows: list[Row], database: str) -> str | None:
    """Why a database's scenarios never ran, if its setup or its server failed."""
    for row in rows:
        if row.database == database and row.key in ("setup", "server") and row.error:
            return f"{row.label} failed"
    return None


def _broken(*rows: Row) -> str | None:
    """Why these rows cannot count (failed, or errors among the answers), if they cannot."""
    for row in rows:
        if row.error:
            return f"{row.label} failed"
        if row.non_2xx or row.socket_errors:
            return f"{row.label}: {row.non_2xx} non-2xx, {row.socket_errors} socket errors"
    return None


def _verdict(
    rows: list[Row],
    target: str,
    needed: list[tuple[str, str]],
    check: Callable[..., tuple[bool, str]],
) -> Verdict:
    found = [_find(rows, database, key) for database, key in needed]
    if any(row is None for row in found):
        stopped = _stopped(rows, needed[0][0])
        return Verdict(target, "FAIL", stopped) if stopped else Verdict(target, "SKIP", "not run")
    present = [row for row in found if row is not None]
    broken = _broken(*present)
    if broken:
        return Verdict(target, "FAIL", broken)
    try:
        ok, measured = check(*present)
    except TypeError:  # a measure was missing (None)
        return Verdict(target, "FAIL", "not measured")
    return Verdict(target, "PASS" if ok else "FAIL", measured)


def _at_least(value: float, floor: float, what: str) -> tuple[bool, str]:
    return value >= floor, f"{what} {value:.0%} (need >= {floor:.0%})"


def verdicts(rows: list[Row], connections: int) -> list[Verdict]:
    """The README's targets, each checked against this run's rows."""
    out = [
        _verdict(
            rows,
            "(a) SQLite >= 60% of the FastAPI baseline",
            [("sqlite", "a")],
            lambda a: _at_least(a.vs_fastapi, 0.60, "(a) / FastAPI"),
        ),
        _verdict(
            rows,
            f"(a) SQLite p99 <= 25 ms at {connections} connections",
            [("sqlite", "a")],
            lambda a: (a.p99_ms <= 25, f"p99 {a.p99_ms:.1f} ms"),
        ),
        _verdict(
            rows,
            "(a) PostgreSQL >= 70% of the one-row commit rate",
            [("postgresql", "a")],
            lambda a: _at_least(a.vs_commit, 0.70, "(a) / commits"),
        ),
    ]
    for database, label in LABELS.items():
        out.append(
            _verdict(
                rows,
                f"(b) {label} within 15% of (a)",
                [(database, "a"), (database, "b")],
                lambda a, b: _at_least(
                    b.requests_per_second / a.requests_per_second, 0.85, "(b) / (a)"
                ),
            )
        )
        for base in ("a", "b"):
            out.append(
                _verdict(
                    rows,
                    f"(e) {label} {base} after preload >= 90% of empty",
                    [(database, base), (database, f"e_{base}")],
                    lambda empty, full, b=base: _at_least(
                        full.requests_per_second / empty.requests_per_second,
                        0.90,
                        f"(e){b} / ({b})",
                    ),
                )
            )
    for database, floor in (("sqlite", 20_000), ("postgresql", 10_000)):
        out.append(
            _verdict(
                rows,
                f"(d) batch {LABELS[database]} >= {floor:,} leads/s",
                [(database, "d")],
                lambda d, f=floor: (
                    d.leads_per_second >= f,
                    f"{d.leads_per_second:,.0f} leads/s answered "
                    f"({d.db_leads_per_second:,.0f}/s committed until idle)",
                ),
            )
        )
    return out


def verdict_table(found: list[Verdict]) -> Table:
    result = Table(title="Targets", title_justify="left", header_style="bold")
    result.add_column("target")
    result.add_column("result")
    result.add_column("measured")
    colour = {"PASS": "green", "FAIL": "red", "SKIP": "yellow"}
    for verdict in found:
        status = f"[{colour[verdict.status]}]{verdict.status}[/]"
        result.add_row(verdict.target, status, verdict.measured)
    return result


# -- files -------------------------------------------------------------------------------------


def write_json(path: Path, meta: dict[str, Any], rows: list[Row], found: list[Verdict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        **meta,
        "results": [row.as_dict() for row in rows],
        "targets": [asdict(v) for v in found],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def write_chart(path: Path, rows: list[Row], title: str) -> None:
    """Two panels: leads/s (log scale) and p99 latency, per scenario and database."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [r for r in rows if r.error is None]
    keys = list(dict.fromkeys(r.key for r in measured))
    names = {r.key: r.label for r in measured}
    databases = list(dict.fromkeys(r.database for r in measured))
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6))
    width = 0.8 / max(1, len(databases))
    for offset, database in enumerate(databases):
        by_key = {r.key: r for r in measured if r.database == database}
        xs = [i + offset * width for i in range(len(keys))]
        rates = [by_key[k].leads_per_second if k in by_key else None for k in keys]
        p99s = [by_key[k].p99_ms if k in by_key else None for k in keys]
        label = LABELS.get(database, database)
        for axis, values in ((left, rates), (right, p99s)):
            bars = axis.bar(xs, [v or 0 for v in values], width, label=label)
            texts = ["n/a" if v is None else f"{v:.0f}" for v in values]
            axis.bar_label(bars, labels=texts, fontsize=7)
    for axis, ylabel in ((left, "leads/s (commits/s for the commit row), log"), (right, "p99 ms")):
        axis.set_xticks([i + width * (len(databases) - 1) / 2 for i in range(len(keys))])
        axis.set_xticklabels([names[k] for k in keys], rotation=35, ha="right", fontsize=8)
        axis.set_ylabel(ylabel)
        axis.legend()
        axis.grid(axis="y", alpha=0.3)
    left.set_yscale("log")
    left.set_title("Throughput")
    right.set_title("p99 latency")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
