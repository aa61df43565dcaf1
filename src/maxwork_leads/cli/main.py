"""`maxwork-leads`: run the service and manage its data."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from maxwork_leads import demo as demo_data
from maxwork_leads.cli.credentials import credential_app
from maxwork_leads.cli.directory import agency_app, listing_app, user_app
from maxwork_leads.cli.history import history_app
from maxwork_leads.cli.operators import operator_app
from maxwork_leads.cli.output import JsonOption, emit, fail, run
from maxwork_leads.cli.person import person_app
from maxwork_leads.db import migrate
from maxwork_leads.settings import Settings

app = typer.Typer(
    help="Lead-ingestion API for real-estate CRMs. The database comes from "
    "MAXWORK_DATABASE_URL (default: sqlite:///./maxwork-leads.db).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")
app.add_typer(listing_app, name="listing")
app.add_typer(credential_app, name="credential")
app.add_typer(history_app, name="history")
app.add_typer(person_app, name="person")
app.add_typer(operator_app, name="operator")


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOption = False) -> None:
    """Apply every pending migration."""
    settings = Settings()
    migrate.upgrade(settings)
    revision = migrate.current_revision(settings)
    emit(as_json, {"revision": revision}, f"database at revision {revision}")


@app.command()
def demo(
    base_url: Annotated[str, typer.Option(help="Where the server listens.")] = (
        "http://127.0.0.1:8000"
    ),
    as_json: JsonOption = False,
) -> None:
    """Load the demo agency, users, listings, credential and console operator; print a curl
    that creates a lead and the console's sign-in.

    Safe to run again: it creates only what is missing, and issues the demo credential a
    fresh token and the demo operator a fresh password each time.
    """

    def work(session):  # type: ignore[no-untyped-def]
        loaded = demo_data.load(session)
        curl = demo_data.curl_example(loaded, base_url.rstrip("/"))
        data = {
            "agency": str(loaded.agency.id),
            "lead_manager": str(loaded.manager.id),
            "agent": str(loaded.agent.id),
            "listings": list(loaded.references),
            "username": loaded.username,
            "token": loaded.token,
            "curl": curl,
            "console": f"{base_url.rstrip('/')}/console/",
            "operator": loaded.operator,
            "operator_password": loaded.operator_password,
        }
        human = (
            f"demo data ready: agency {loaded.agency.name}, listings "
            f"{', '.join(loaded.references)}, credential {loaded.username}\n"
            f"create a lead with:\n{curl}\n"
            f"operator console: {data['console']} (user {loaded.operator}, "
            f"password {loaded.operator_password})"
        )
        return data, human

    run(as_json, work)


# uvicorn's own access log prints the query string, which may hold a token: it is off,
# and maxwork_leads.access logs the path, status and timing instead, to stderr in blocks
# at most half a second late (`logbuffer`): a write per request cost about 5 % of a lead.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
        "access": {"class": "maxwork_leads.logbuffer.BufferedStreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "maxwork_leads": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "maxwork_leads.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def batch_helpers(cores: int, workers: int) -> int:
    """Batch validation processes per server process (api/parse_pool.py), when not set:
    one, if the server processes leave a core idle."""
    return 1 if cores > workers else 0


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes, each with its own socket on Linux.")
    ] = 1,
) -> None:
    """Run the HTTP service (migrating the SQLite default first).

    Several workers need MAXWORK_REDIS_URL, so that the per-credential rate limit holds
    across processes. When the machine has more cores than workers, each worker gets a
    helper process that validates large batches (MAXWORK_BATCH_VALIDATION_PROCESSES).
    On SQLite each worker also gets a write process that writes every lead, so that HTTP
    and writing run on two cores (MAXWORK_WRITE_PROCESS).
    """
    from maxwork_leads import serving

    settings = Settings()
    if workers > 1 and settings.rate_limit_per_second > 0 and not settings.redis_url:
        fail(
            False,
            "several workers need a shared rate limiter: set MAXWORK_REDIS_URL "
            "(or MAXWORK_RATE_LIMIT_PER_SECOND=0 to turn limiting off)",
        )
    if settings.is_sqlite:
        migrate.upgrade(settings)
    helpers = batch_helpers(os.cpu_count() or 1, workers)
    os.environ.setdefault("MAXWORK_BATCH_VALIDATION_PROCESSES", str(helpers))
    serving.run(
        "maxwork_leads.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
        log_config=LOG_CONFIG,
    )


__all__ = ["app", "run"]
