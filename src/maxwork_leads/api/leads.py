"""The lead endpoints: the universal POST, and reading leads back. Thin: the pipeline decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from maxwork_leads import wire_examples as wire
from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import (
    CallerDep,
    QueryTime,
    ServicesDep,
    caller_of,
    documented,
    services_of,
)
from maxwork_leads.api.errors import (
    INVALID_PARAMETER,
    INVALID_PARAMETER_OR_CURSOR,
    responses,
)
from maxwork_leads.api.lead_work import LeadWork
from maxwork_leads.api.pipeline import Work
from maxwork_leads.api.plain_route import PlainRoute
from maxwork_leads.api.respond import respond, take_write
from maxwork_leads.leads import lookup
from maxwork_leads.leads.schemas import LeadOut
from maxwork_leads.leads.views import LeadPage, LeadView
from maxwork_leads.models import Credential

router = APIRouter(tags=["Leads"])
# The POST parses and answers by itself (`PlainRoute`): it must record even a body that
# fails to parse, so FastAPI's own body handling would only cost it time.
writes = APIRouter(tags=["Leads"], route_class=PlainRoute)

DESCRIPTION = """
Create, update or archive a lead, its contact and its qualification: the `Lead_Status`
and the optional fields say which.

* `New` creates the lead, or records a repeat enquiry on the open one.
* `Contacted` marks the lead contacted and links it to the agent's contact for this
  phone + email (created if missing).
* `Archived` closes the lead; a later enquiry from the same person opens a new one.

Statuses never move backwards. Any qualification field moves the lead to stage
`Qualification`; only the fields sent change. Unknown fields are ignored and listed in
`Warnings`. Identical repeats change nothing (`Operation: unchanged`). Every request is
recorded in the integration history. Responses carry `RateLimit-*` headers.
"""

LEAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadIn"}}},
    }
}


@writes.post(
    "/listingexport/leads",
    summary="Create, update or archive a lead",
    description=DESCRIPTION,
    status_code=201,
    response_model=LeadOut,
    responses={
        200: {"model": LeadOut, "description": "An existing lead was updated, or nothing changed."},
        201: {"model": LeadOut, "description": "A lead was created."},
        **responses(400, 401, 403, 409, 413, 415, 422, 429),
    },
    openapi_extra={**LEAD_BODY, **documented(idempotent=True)},
)
async def post_lead(request: Request) -> Response:
    caller, services = caller_of(request), services_of(request)
    call = caller.call("leads", caller.idempotency_key)
    region = services.settings.default_region

    def work_for(body: Any) -> Work:
        return LeadWork(call, body, region)

    limit = services.settings.max_body_bytes
    return await take_write(request, services, call, limit, work_for, single_lead=True)


@router.get(
    "/listingexport/leads/{lead_id}",
    summary="A lead by our ID",
    description="The lead as the POST shows it, with its contact and qualification. 404 "
    "when the lead does not exist or this credential has never sent it.",
    response_model=LeadView,
    responses={
        200: {"description": "The lead."},
        **responses(401, 404, 422, 429, text={422: INVALID_PARAMETER}),
    },
    openapi_extra=documented(),
)
def get_lead(
    lead_id: Annotated[
        str,
        Path(
            description="Our ID for the lead: the `Lead_Id` the POST answered.",
            examples=[wire.LEAD_ID],
        ),
    ],
    caller: CallerDep,
    services: ServicesDep,
) -> Response:
    def work(session: Session, credential: Credential) -> Any:
        return lookup.lead_by_id(session, credential.id, lead_id).model_dump(mode="json")

    return respond(pipeline.read(services, caller.call("leads/lookup"), work))


@router.get(
    "/listingexport/leads",
    summary="A lead by your ID, or the change feed of your leads",
    description="With `External_LeadId`: that lead (404 if this credential never sent it). "
    "Otherwise a page of the leads this credential created or sent requests about, in the "
    "order their changes were committed: start with `updated_since` (or nothing, for "
    "everything), then pass `Next_Cursor` back as `cursor`. A lead changed again moves to "
    "the end of the feed; no committed change is ever skipped.",
    response_model=LeadView | LeadPage,
    responses={
        200: {"description": "With `External_LeadId`, the lead; otherwise a page of the feed."},
        **responses(401, 404, 422, 429, text={422: INVALID_PARAMETER_OR_CURSOR}),
    },
    openapi_extra=documented(),
)
def list_leads(
    caller: CallerDep,
    services: ServicesDep,
    external_id: Annotated[
        str | None,
        Query(
            alias="External_LeadId",
            description="Your own ID for the lead, as you sent it: answers that one lead "
            "instead of the feed.",
            examples=["CRM-000123"],
        ),
    ] = None,
    updated_since: Annotated[
        QueryTime,
        Query(
            description="Start the feed with the leads changed at or after this moment "
            "(ISO 8601); ignored when `cursor` is given.",
            examples=[wire.ENQUIRED_AT],
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            description="The `Next_Cursor` of the previous page, to go on from there.",
            examples=[wire.FEED_CURSOR],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=lookup.MAX_PAGE,
            description=f"The most leads to answer on one page (1 to {lookup.MAX_PAGE}).",
            examples=[100],
        ),
    ] = 100,
) -> Response:
    def work(session: Session, credential: Credential) -> Any:
        if external_id is not None:
            view = lookup.lead_by_external_id(session, credential.id, external_id)
            return view.model_dump(mode="json")
        page = lookup.changes(
            session, credential.id, updated_since=updated_since, cursor=cursor, limit=limit
        )
        return page.model_dump(mode="json")

    return respond(pipeline.read(services, caller.call("leads/feed"), work))
