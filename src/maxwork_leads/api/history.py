"""`GET /listingexport/history`: what this integrator sent, and what it got back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from maxwork_leads import wire_examples as wire
from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import CallerDep, QueryTime, ServicesDep, documented
from maxwork_leads.api.errors import INVALID_PARAMETER_OR_CURSOR, responses
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
    responses={
        200: {"description": "A page of the history, newest first."},
        **responses(401, 422, 429, text={422: INVALID_PARAMETER_OR_CURSOR}),
    },
    openapi_extra=documented(),
)
def get_history(
    caller: CallerDep,
    services: ServicesDep,
    since: Annotated[
        QueryTime,
        Query(
            description="Only requests received at or after this moment (ISO 8601).",
            examples=[wire.ENQUIRED_AT],
        ),
    ] = None,
    until: Annotated[
        QueryTime,
        Query(
            description="Only requests received before this moment (ISO 8601).",
            examples=[wire.CHANGED_AT],
        ),
    ] = None,
    status_code: Annotated[
        int | None,
        Query(
            ge=100,
            le=599,
            description="Only requests (or batch items) answered with this HTTP status.",
            examples=[422],
        ),
    ] = None,
    external_id: Annotated[
        str | None,
        Query(
            alias="External_LeadId",
            description="Only requests about the lead with this ID of yours.",
            examples=["CRM-000123"],
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            description="The `Next_Cursor` of the previous page, for the next (older) one.",
            examples=[wire.REQUEST_ID],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=1000,
            description="The most entries to answer on one page (1 to 1000).",
            examples=[100],
        ),
    ] = 100,
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
