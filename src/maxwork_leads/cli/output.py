"""How every command answers: one short human line, or one JSON object with --json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from maxwork_leads.db import Database
from maxwork_leads.errors import AppError
from maxwork_leads.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")]

console = Console()
errors = Console(stderr=True)


def emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
    else:
        console.print(human, highlight=False, soft_wrap=True)


def fail(as_json: bool, message: str) -> None:
    if as_json:
        typer.echo(json.dumps({"error": message}))
    else:
        errors.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


@contextmanager
def transaction(as_json: bool) -> Iterator[Session]:
    """One transaction per command; an application error ends the command with exit code 1."""
    database = Database(Settings())
    try:
        with database.session_scope() as session:
            yield session
    except AppError as exc:
        fail(as_json, exc.message)
    finally:
        database.dispose()


def run(as_json: bool, work: Callable[[Session], tuple[dict[str, Any], str]]) -> None:
    with transaction(as_json) as session:
        data, human = work(session)
    emit(as_json, data, human)
