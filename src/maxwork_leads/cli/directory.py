"""`agency`, `user` and `listing` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from maxwork_leads.cli.output import JsonOption, console, emit, run, transaction
from maxwork_leads.directory import importer, service

agency_app = typer.Typer(help="Agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Users: agents and lead managers of an agency.", no_args_is_help=True)
listing_app = typer.Typer(help="Listings and their responsible agents.", no_args_is_help=True)


@agency_app.command("add")
def agency_add(
    name: Annotated[str, typer.Option(help="The agency's name (unique).")],
    as_json: JsonOption = False,
) -> None:
    """Create an agency and print its ID."""

    def work(session):  # type: ignore[no-untyped-def]
        agency = service.add_agency(session, name=name)
        return {"id": str(agency.id)}, f"agency {agency.name} created: {agency.id}"

    run(as_json, work)


@user_app.command("add")
def user_add(
    agency: Annotated[str, typer.Option(help="The agency's ID.")],
    username: Annotated[str, typer.Option(help="Unique login name.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    email: Annotated[str | None, typer.Option(help="Work email.")] = None,
    role: Annotated[str, typer.Option(help="agent or lead_manager.")] = "agent",
    as_json: JsonOption = False,
) -> None:
    """Create a user of an agency and print its ID (the Internal_UserId integrators send)."""

    def work(session):  # type: ignore[no-untyped-def]
        user = service.add_user(
            session, agency_id=agency, username=username, name=name, email=email, role=role
        )
        return {"id": str(user.id)}, f"{user.role} {user.username} created: {user.id}"

    run(as_json, work)


@listing_app.command("add")
def listing_add(
    reference: Annotated[str, typer.Option(help="The public reference portals show.")],
    agency: Annotated[str, typer.Option(help="The agency's ID.")],
    agent: Annotated[str, typer.Option(help="The responsible agent's user ID or username.")],
    title: Annotated[str | None, typer.Option(help="A short title.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a listing and print its ID."""

    def work(session):  # type: ignore[no-untyped-def]
        listing, _ = service.save_listing(
            session, reference=reference, agency_id=agency, agent=agent, title=title
        )
        return {"id": str(listing.id)}, f"listing {listing.public_reference} created: {listing.id}"

    run(as_json, work)


@listing_app.command("import")
def listing_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV with a header row, or JSON lines (.jsonl), with the columns "
            "reference, agency (ID), agent (ID or username) and optional title.",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Create or update listings in bulk; a bad row is reported and never stops the others."""
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    quiet = as_json or not console.is_terminal
    with (
        transaction(as_json) as session,
        Progress(*columns, disable=quiet, transient=True, console=console) as progress,
    ):
        task = progress.add_task("import", total=importer.count_rows(file))
        report = importer.import_listings(session, file, lambda: progress.advance(task))
    lines = [f"{report.created} created, {report.updated} updated, {len(report.rejected)} rejected"]
    lines += [f"  row {row}: {reason}" for row, reason in report.rejected]
    emit(as_json, report.as_dict(), "\n".join(lines))
