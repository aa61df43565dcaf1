"""`credential` commands: issue, list, revoke and rotate integrator credentials."""

from __future__ import annotations

from typing import Annotated

import typer

from maxwork_leads.cli.output import JsonOption, run
from maxwork_leads.credentials import service
from maxwork_leads.models import Credential

credential_app = typer.Typer(help="Integrator credentials (user + token).", no_args_is_help=True)

UsernameOption = Annotated[str, typer.Option(help="The integrator's user name (`user` header).")]
RateLimitOption = Annotated[
    float | None,
    typer.Option(
        help="Requests per second for this credential (0 = unlimited); "
        "default: MAXWORK_RATE_LIMIT_PER_SECOND."
    ),
]


def _describe(credential: Credential) -> dict[str, object]:
    return {
        "username": credential.username,
        "agency": str(credential.agency_id) if credential.agency_id else None,
        "status": "revoked" if credential.revoked_at else "active",
        "rate_limit": credential.rate_limit,
        "created_at": credential.created_at.isoformat(),
        "last_used_at": credential.last_used_at.isoformat() if credential.last_used_at else None,
    }


@credential_app.command("create")
def create(
    username: UsernameOption,
    agency: Annotated[
        str | None, typer.Option(help="Limit it to this agency's ID; omit for all agencies.")
    ] = None,
    rate_limit: RateLimitOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a credential; the token is printed once and only its hash is kept."""

    def work(session):  # type: ignore[no-untyped-def]
        issued = service.create(session, username=username, agency_id=agency, rate_limit=rate_limit)
        name = issued.credential.username
        scope = f"agency {agency}" if agency else "all agencies"
        human = f"credential {name} ({scope}) token: {issued.token}\n(shown once; store it now)"
        return {"username": name, "token": issued.token}, human

    run(as_json, work)


@credential_app.command("list")
def list_credentials(as_json: JsonOption = False) -> None:
    """Every credential with its scope, status and last use (never a token)."""

    def work(session):  # type: ignore[no-untyped-def]
        rows = [_describe(c) for c in service.list_all(session)]
        lines = [
            f"{r['username']:<30} {r['status']:<8} agency={r['agency'] or 'all'} "
            f"last_used={r['last_used_at'] or 'never'}"
            for r in rows
        ]
        return {"credentials": rows}, "\n".join(lines) or "no credentials"

    run(as_json, work)


@credential_app.command("revoke")
def revoke(username: UsernameOption, as_json: JsonOption = False) -> None:
    """Stop a credential from working, at once."""

    def work(session):  # type: ignore[no-untyped-def]
        credential = service.revoke(session, username=username)
        return _describe(credential), f"credential {username} revoked"

    run(as_json, work)


@credential_app.command("update")
def update(
    username: UsernameOption,
    rate_limit: RateLimitOption = None,
    default_rate_limit: Annotated[
        bool, typer.Option("--default-rate-limit", help="Use the service-wide rate limit again.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Change a credential's own rate limit."""

    def work(session):  # type: ignore[no-untyped-def]
        credential = service.update(
            session,
            username=username,
            rate_limit=rate_limit,
            clear_rate_limit=default_rate_limit or rate_limit is None,
        )
        shown = (
            "service default" if credential.rate_limit is None else f"{credential.rate_limit:g}/s"
        )
        return _describe(credential), f"credential {credential.username} rate limit: {shown}"

    run(as_json, work)


@credential_app.command("rotate")
def rotate(username: UsernameOption, as_json: JsonOption = False) -> None:
    """Issue a new token; the old one stops working at once (a revoked credential revives)."""

    def work(session):  # type: ignore[no-untyped-def]
        issued = service.rotate(session, username=username)
        human = f"credential {username} new token: {issued.token}\n(shown once; store it now)"
        return {"username": username, "token": issued.token}, human

    run(as_json, work)
