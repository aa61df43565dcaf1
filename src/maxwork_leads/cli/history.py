"""`history`: the operators' view of what integrators sent, and its retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer

from maxwork_leads.cli.output import JsonOption, run
from maxwork_leads.integration import history
from maxwork_leads.settings import Settings

history_app = typer.Typer(help="Integration history of the lead endpoints.")


@history_app.callback(invoke_without_command=True)
def show(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option(help="Only this credential's requests.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only requests at or after this time (ISO 8601).")
    ] = None,
    errors_only: Annotated[
        bool, typer.Option("--errors-only", help="Only requests answered 4xx or 5xx.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List recent requests, newest first (`history prune` deletes old ones)."""
    if ctx.invoked_subcommand is not None:
        return

    def work(session):  # type: ignore[no-untyped-def]
        page = history.page(
            session,
            credential_id=None,
            username=username,
            since=since,
            errors_only=errors_only,
            limit=limit,
        )
        entries = [entry.model_dump(mode="json") for entry in page.entries]
        for entry, row in zip(entries, page.entries, strict=True):
            entry["Username"] = row.username
        lines = [
            f"{e['Received_At']}  {e['Username'] or '-':<20} {e['Status_Code']} "
            f"{e['Outcome'] or '-':<9} {e['Error_Code'] or ''} "
            f"{e['External_LeadId'] or ''}".rstrip()
            for e in entries
        ]
        return {"entries": entries, "has_more": page.has_more}, "\n".join(lines) or "no requests"

    run(as_json, work)


@history_app.command("prune")
def prune(as_json: JsonOption = False) -> None:
    """Delete history older than MAXWORK_HISTORY_RETENTION_DAYS (default 90) and expired
    Idempotency-Keys; run it daily (e.g. from cron)."""
    settings = Settings()

    def work(session):  # type: ignore[no-untyped-def]
        counts = history.prune(
            session,
            retention=timedelta(days=settings.history_retention_days),
            idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )
        human = (
            f"deleted {counts['history_deleted']} history entries older than "
            f"{settings.history_retention_days} days and "
            f"{counts['idempotency_keys_deleted']} expired idempotency keys"
        )
        return counts, human

    run(as_json, work)
