"""What a write of one lead does inside the pipeline's transaction, and how it answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.api import pipeline
from maxwork_leads.integration import history, scrub
from maxwork_leads.leads import service as leads
from maxwork_leads.leads.parsing import parse_lead
from maxwork_leads.leads.schemas import LeadIn
from maxwork_leads.models import Credential


@dataclass(frozen=True)
class LeadWork:
    """What `POST /listingexport/leads` does with one parsed body, once the pipeline has a
    transaction. A value, not a closure, so that a group of them can be written at once."""

    call: pipeline.Call
    body: Any
    region: str
    lead_in: LeadIn | None = None  # the body, parsed already

    def __call__(self, session: Session, credential: Credential) -> pipeline.Written:
        lead_in = self.lead_in or parse_lead(self.body, self.region)
        received = self.received(credential)
        outcome = leads.ingest(session, lead_in, received, region=self.region)
        return written(outcome, lead_in, scrub.body_text(self.body, self.call.token))

    def received(self, credential: Credential) -> leads.Received:
        payload = scrub.payload(self.body, self.call.token)
        return leads.Received(credential, self.call.user_agent, payload)


def written(
    outcome: leads.LeadOutcome, lead_in: LeadIn, body_text: str, index: int | None = None
) -> pipeline.Written:
    """The answer for one applied lead, and its history entry."""
    status = 201 if outcome.operation == leads.CREATED else 200
    entry = history.Entry(
        status,
        outcome.operation,
        lead_id=outcome.lead.id,
        external_id=lead_in.external_id,
        body=body_text,
        batch_index=index,
    )
    return pipeline.Written(pipeline.Answer(status, to_wire(outcome)), [entry])


def to_wire(outcome: leads.LeadOutcome) -> dict[str, Any]:
    """The answer's body: `LeadOut` (which documents it) as its JSON dump would be.

    Built by hand: every value comes from a row the service wrote or read, so there is
    nothing to validate, and building and dumping the model cost about a third of what
    answering a batch item did. tests/api/test_wire.py holds the two equal.
    """
    lead = outcome.lead
    return {
        "Lead_Id": str(lead.id),
        "External_LeadId": lead.external_id,
        "Lead_Status": lead.status,
        "Stage": lead.stage,
        "Contact_Id": _text(lead.contact_id),
        "Qualification_Id": _text(outcome.qualification.id if outcome.qualification else None),
        "Agent": {"Id": str(outcome.agent.id), "Username": outcome.agent.username},
        "Public_Reference": lead.public_reference,
        "Operation": outcome.operation,
        "Contact_Operation": outcome.contact_operation,
        "Warnings": list(outcome.warnings),
    }


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
