"""`operator` commands: the accounts that sign in to the web console at /console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from maxwork_leads.cli.output import JsonOption, fail, run
from maxwork_leads.models import Operator
from maxwork_leads.operators import service

operator_app = typer.Typer(
    help="Operator accounts for the web console (/console).", no_args_is_help=True
)

UsernameOption = Annotated[str, typer.Option(help="The operator's sign-in name.")]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (its first line) instead of asking.",
    ),
]


def _read_password(from_stdin: bool, as_json: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail(as_json, "no password on standard input")
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _describe(operator: Operator) -> dict[str, object]:
    return {
        "username": operator.username,
        "created_at": operator.created_at.isoformat(),
        "last_login_at": operator.last_login_at.isoformat() if operator.last_login_at else None,
        "locked_until": operator.locked_until.isoformat() if operator.locked_until else None,
    }


@operator_app.command("add")
def add(
    username: UsernameOption,
    password_stdin: PasswordStdinOption = False,
    as_json: JsonOption = False,
) -> None:
    """Create an operator; the password is asked for (twice) or read from standard input."""
    password = _read_password(password_stdin, as_json)

    def work(session):  # type: ignore[no-untyped-def]
        operator = service.add(session, username=username, password=password)
        return _describe(operator), f"operator {operator.username} added; sign in at /console"

    run(as_json, work)


@operator_app.command("password")
def password(
    username: UsernameOption,
    password_stdin: PasswordStdinOption = False,
    as_json: JsonOption = False,
) -> None:
    """Set a new password; it also unlocks the account and signs out its browsers."""
    new_password = _read_password(password_stdin, as_json)

    def work(session):  # type: ignore[no-untyped-def]
        operator = service.set_password(session, username=username, password=new_password)
        return _describe(operator), f"operator {operator.username}: password changed"

    run(as_json, work)


@operator_app.command("unlock")
def unlock(username: UsernameOption, as_json: JsonOption = False) -> None:
    """Lift a lock-out after too many failed sign-ins."""

    def work(session):  # type: ignore[no-untyped-def]
        operator = service.unlock(session, username=username)
        return _describe(operator), f"operator {operator.username} unlocked"

    run(as_json, work)


@operator_app.command("remove")
def remove(username: UsernameOption, as_json: JsonOption = False) -> None:
    """Delete an operator account and end its sessions."""

    def work(session):  # type: ignore[no-untyped-def]
        service.remove(session, username=username)
        return {"username": username, "removed": True}, f"operator {username} removed"

    run(as_json, work)


@operator_app.command("list")
def list_operators(as_json: JsonOption = False) -> None:
    """Every operator with the last sign-in and any lock (never a password)."""

    def work(session):  # type: ignore[no-untyped-def]
        rows = [_describe(operator) for operator in service.list_all(session)]
        lines = [
            f"{r['username']:<30} last_login={r['last_login_at'] or 'never'}"
            + (f" locked_until={r['locked_until']}" if r["locked_until"] else "")
            for r in rows
        ]
        return {"operators": rows}, "\n".join(lines) or "no operators"

    run(as_json, work)
