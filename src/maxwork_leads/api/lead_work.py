"""What a write of one lead does inside the pipeline's transaction, and how it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.api import pipeline
from maxwork_leads.integration import history, scrub
from maxwork_leads.leads import service as leads
from maxwork_leads.leads.parsing import parse_lead
from maxwork_leads.leads.schemas import AgentOut, LeadIn, LeadOut
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
