"""`person export` and `person erase`: a person's data protection rights, for operators."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from maxwork_leads.cli.output import JsonOption, fail, run
from maxwork_leads.privacy import service
from maxwork_leads.settings import Settings

person_app = typer.Typer(
    help="A person's data: export all of it, or erase it everywhere.", no_args_is_help=True
)

EmailOption = Annotated[str | None, typer.Option(help="The person's email (any letter case).")]
PhoneOption = Annotated[str | None, typer.Option(help="The person's phone (any common writing).")]


@person_app.command("export")
def export(email: EmailOption = None, phone: PhoneOption = None) -> None:
    """Print every stored datum about the person as one JSON object: leads, contacts,
    qualifications, lead activity and integration history entries."""

    def work(session):  # type: ignore[no-untyped-def]
        who = service.selector(email=email, phone=phone, region=Settings().default_region)
        data = service.export(session, who)
        return data, ""

    run(True, work)


@person_app.command("erase")
def erase(
    email: EmailOption = None,
    phone: PhoneOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Irreversibly anonymise the person everywhere (leads, contacts, activity, history
    bodies), keeping the rows and counts, and record the erasure in the audit trail."""
    if not yes and not typer.confirm("Erase this person's data everywhere? It cannot be undone"):
        fail(as_json, "not confirmed; nothing erased")

    def work(session):  # type: ignore[no-untyped-def]
        who = service.selector(email=email, phone=phone, region=Settings().default_region)
        counts = service.erase(session, who, operator=getpass.getuser())
        human = "erased: " + ", ".join(f"{n} {what}" for what, n in counts.items())
        return counts, human

    run(as_json, work)
