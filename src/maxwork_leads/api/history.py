"""`GET /listingexport/history`: what this integrator sent, and what it got back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import CallerDep, ServicesDep
from maxwork_leads.api.errors import responses
from maxwork_leads.api.respond import respond
from maxwork_leads.integration import history
from maxwork_leads.integration.schemas import HistoryPage
from maxwork_leads.models import Credential

router = APIRouter(tags=["Integration history"])


@router.get(
    "/listingexport/history",
    summary="Your requests to the lead endpoints",
    description="Every request this credential sent to the lead endpoints (one entry per "
    "batch item), newest first, with the status code, outcome, lead, error and the body as "
    "received (the token is never stored). Kept for the retention period (90 days by "
    "default).",
    response_model=HistoryPage,
    responses=responses(401, 422, 429),
)
def get_history(
    caller: CallerDep,
    services: ServicesDep,
    since: Annotated[datetime | None, Query(description="ISO 8601, inclusive.")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601, exclusive.")] = None,
    status_code: Annotated[int | None, Query(ge=100, le=599)] = None,
    external_id: Annotated[str | None, Query(alias="External_LeadId")] = None,
    cursor: Annotated[str | None, Query(description="`Next_Cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    def work(session: Session, credential: Credential) -> Any:
        page = history.page(
            session,
            credential_id=credential.id,
            since=since,
            until=until,
            status_code=status_code,
            external_id=external_id,
            cursor=cursor,
            limit=limit,
        )
        return page.model_dump(mode="json")

    return respond(pipeline.read(services, caller.call("history"), work))
