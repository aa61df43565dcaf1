"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from maxwork_leads.api.deps import ServicesDep
from maxwork_leads.api.errors import responses
from maxwork_leads.errors import AppError

router = APIRouter(tags=["Health"])


class DatabaseUnavailable(AppError):
    code = "database_unavailable"
    status = 503


class Health(BaseModel):
    """A probe's answer."""

    status: str = Field(
        description="`ok` from `/healthz`: the process answers; `ready` from `/readyz`: the "
        "database answers too.",
        examples=["ok", "ready"],
    )


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    response_model=Health,
    responses={200: {"description": "The process is alive."}},
)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers",
    response_model=Health,
    responses={200: {"description": "Ready to take requests."}, **responses(503)},
)
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        with services.database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise DatabaseUnavailable("the database is not reachable") from None
    return {"status": "ready"}
