"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from maxwork_leads.api.deps import ServicesDep
from maxwork_leads.api.errors import responses
from maxwork_leads.errors import AppError

router = APIRouter(tags=["Health"])


class DatabaseUnavailable(AppError):
    code = "database_unavailable"
    status = 503


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers", responses=responses(503))
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        with services.database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise DatabaseUnavailable("the database is not reachable") from None
    return {"status": "ready"}
