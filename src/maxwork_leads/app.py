"""The composition root: settings, database, routers and error handlers wired together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from maxwork_leads import __version__, heap
from maxwork_leads.api import batch, docs, errors, health, history, leads
from maxwork_leads.api.access_log import AccessLog
from maxwork_leads.api.parse_pool import ParsePool
from maxwork_leads.api.pipeline import Services
from maxwork_leads.api.write_process import WriteProcess, share_limiter
from maxwork_leads.console import create_console
from maxwork_leads.db import Database
from maxwork_leads.integration.ratelimit import make_limiter
from maxwork_leads.leads import enums
from maxwork_leads.leads.schemas import LeadIn
from maxwork_leads.settings import Settings

INTRODUCTION = """
Lead ingestion for real-estate CRMs, speaking the Maxwork Public API wire format.

Authenticate with the `token` query parameter (or `Authorization: Bearer <token>`) and the
`user` header naming the credential. Every error has the same body:
`{"Error": {"Code": ..., "Message": ..., "Fields": [{"Field": ..., "Message": ...}]}}`.
"""


def enumeration_table() -> str:
    """The enumerations a lead may carry, as a markdown table built from the published tables."""
    rows = [
        f"| `{field}` | {enums.describe(table)} |" for field, table in enums.ENUMERATIONS.items()
    ]
    return "\n".join(["| field | ID = name |", "|---|---|", *rows])


def api_description() -> str:
    """The API's description: the introduction, then the error codes and enumerations."""
    statuses = ", ".join(f"`{status.value}`" for status in enums.LeadStatus)
    return (
        f"{INTRODUCTION}\n"
        "## Error codes\n\nBranch on `Error.Code`; each comes with one HTTP status.\n\n"
        f"{errors.error_code_table()}\n\n"
        f"## Enumerations\n\n`Lead_Status` is one of {statuses} (any letter case). These "
        "fields take an ID or a name (any letter case); answers show the name.\n\n"
        f"{enumeration_table()}\n"
    )


DESCRIPTION = api_description()


def create_app(settings: Settings | None = None, *, served: bool = False) -> FastAPI:
    """Build the service; with no settings, they are read from `MAXWORK_*` variables.

    `served`: the app is a server process's only work, so it may tune the whole
    process once it has started: the garbage collector (`heap.settle`) and, on SQLite,
    a write process beside it (`api.write_process`, which also moves WAL checkpoints into
    a thread of their own, `db.checkpoint`). Not for an app built inside another
    program, such as a test run.
    """
    settings = settings or Settings()
    database = Database(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = None
        if settings.batch_validation_processes:
            pool = ParsePool(settings.batch_validation_processes, settings.default_region)
            await pool.start()
        app.state.parse_pool = pool
        helper = None
        if served and settings.uses_write_process:
            helper = WriteProcess(settings)
            await helper.start()
            share_limiter(limiter, helper)
        app.state.write_process = helper
        checkpointer = database.checkpoint_in_background() if served and not helper else None
        if served:
            heap.settle()
        yield
        if helper is not None:
            await helper.close()
        if pool is not None:
            pool.close()
        if checkpointer is not None:
            checkpointer.stop()
        database.dispose()

    app = FastAPI(
        title="Maxwork Leads API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    limiter = make_limiter(
        settings.rate_limit_per_second, settings.rate_limit_burst, settings.redis_url
    )
    services = Services(settings, database, limiter)
    app.state.services = services
    errors.install(app)
    app.add_middleware(AccessLog)
    app.include_router(leads.writes)
    app.include_router(leads.router)
    app.include_router(batch.router)
    app.include_router(history.router)
    app.include_router(health.router)
    docs.install(app)
    app.mount("/console", create_console(services), name="console")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def create_served_app() -> FastAPI:
    """The app as `maxwork-leads serve` runs it in each server process."""
    return create_app(served=True)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the lead body schema that the endpoint parses itself."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = LeadIn.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    components.update(body.pop("$defs", {}))
    components["LeadIn"] = body
    app.openapi_schema = schema
    return schema
