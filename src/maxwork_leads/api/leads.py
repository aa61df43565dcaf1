"""`POST /listingexport/leads`: the universal endpoint, as thin as it can be."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from maxwork_leads.api.deps import CredentialHeadersDep, DatabaseDep, JsonObjectDep, SettingsDep
from maxwork_leads.api.errors import responses, validation_failed
from maxwork_leads.credentials import service as credentials
from maxwork_leads.leads import service as leads
from maxwork_leads.leads.schemas import AgentOut, LeadIn, LeadOut

router = APIRouter(tags=["Leads"])

DESCRIPTION = """
Create, update or archive a lead, its contact and its qualification: the `Lead_Status`
and the optional fields say which.

* `New` creates the lead, or records a repeat enquiry on the open one.
* `Contacted` marks the lead contacted and links it to the agent's contact for this
  phone + email (created if missing).
* `Archived` closes the lead; a later enquiry from the same person opens a new one.

Statuses never move backwards. Any qualification field moves the lead to stage
`Qualification`; only the fields sent change. Unknown fields are ignored and listed in
`Warnings`. Identical repeats change nothing (`Operation: unchanged`).
"""


def lead_in_schema() -> dict[str, Any]:
    return LeadIn.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")


@router.post(
    "/listingexport/leads",
    summary="Create, update or archive a lead",
    description=DESCRIPTION,
    status_code=201,
    response_model=LeadOut,
    responses={
        200: {"model": LeadOut, "description": "An existing lead was updated, or nothing changed."},
        201: {"model": LeadOut, "description": "A lead was created."},
        **responses(400, 401, 403, 413, 415, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadIn"}}},
        }
    },
)
def post_lead(
    body: JsonObjectDep,
    caller: CredentialHeadersDep,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    try:
        lead_in = LeadIn.model_validate(body, context={"region": settings.default_region})
    except ValidationError as exc:
        raise validation_failed(exc) from None
    with database.session_scope() as session:
        credential = credentials.authenticate(session, username=caller.username, token=caller.token)
        received = leads.Received(credential, caller.user_agent, body)
        outcome = leads.ingest(session, lead_in, received, region=settings.default_region)
        out = _to_wire(outcome)
    status = 201 if outcome.operation == leads.CREATED else 200
    return Response(orjson.dumps(out), status, media_type="application/json")


def _to_wire(outcome: leads.LeadOutcome) -> dict[str, Any]:
    lead = outcome.lead
    return LeadOut(
        lead_id=lead.id,
        external_id=lead.external_id,
        lead_status=lead.status,
        stage=lead.stage,
        contact_id=lead.contact_id,
        qualification_id=outcome.qualification.id if outcome.qualification else None,
        agent=AgentOut(id=outcome.agent.id, username=outcome.agent.username),
        public_reference=lead.public_reference,
        operation=outcome.operation,
        contact_operation=outcome.contact_operation,
        warnings=outcome.warnings,
    ).model_dump(mode="json")
