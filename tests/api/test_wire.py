"""The POST answer's body, built by hand for speed, is exactly what `LeadOut` documents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from maxwork_leads.api.lead_work import to_wire
from maxwork_leads.leads.enums import LeadStatus, Stage
from maxwork_leads.leads.lead_row import LeadRow
from maxwork_leads.leads.schemas import AgentOut, LeadOut
from maxwork_leads.leads.service import CREATED, UNCHANGED, UPDATED, LeadOutcome
from maxwork_leads.models import Qualification, User

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
texts = st.text(min_size=1, max_size=30)


def lead(status: str, stage: str, external_id: str | None, contact_id: uuid.UUID | None) -> LeadRow:
    return LeadRow(
        id=uuid.uuid4(),
        agency_id=uuid.uuid4(),
        agent_id=uuid.uuid4(),
        listing_id=None,
        listing_key="manual",
        public_reference="REF-1",
        credential_id=uuid.uuid4(),
        external_id=external_id,
        status=status,
        stage=stage,
        routing_reason="listing_agent",
        sender_name="Ana",
        email="ana@example.com",
        phone_raw="+351912345678",
        phone_key="+351912345678",
        phone_e164="+351912345678",
        message="Hello",
        last_fingerprint="0" * 64,
        enquired_at=NOW,
        contacted_at=None,
        archived_at=None,
        created_at=NOW,
        updated_at=NOW,
        contact_id=contact_id,
    )


@given(
    status=st.sampled_from([s.value for s in LeadStatus]),
    stage=st.sampled_from([s.value for s in Stage]),
    external_id=st.none() | texts,
    contact_id=st.none() | st.uuids(),
    qualification_id=st.none() | st.uuids(),
    username=texts,
    operation=st.sampled_from([CREATED, UPDATED, UNCHANGED]),
    contact_operation=st.sampled_from([None, "created", "matched"]),
    warnings=st.lists(texts, max_size=3),
)
def test_the_answer_is_the_documented_models_dump(
    status: str,
    stage: str,
    external_id: str | None,
    contact_id: uuid.UUID | None,
    qualification_id: uuid.UUID | None,
    username: str,
    operation: str,
    contact_operation: str | None,
    warnings: list[str],
) -> None:
    row = lead(status, stage, external_id, contact_id)
    agent = User(id=uuid.uuid4(), username=username)
    qualification = Qualification(id=qualification_id) if qualification_id else None
    outcome = LeadOutcome(row, agent, operation, contact_operation, qualification, warnings)
    documented = LeadOut(
        lead_id=row.id,
        external_id=row.external_id,
        lead_status=row.status,
        stage=row.stage,
        contact_id=row.contact_id,
        qualification_id=qualification_id,
        agent=AgentOut(id=agent.id, username=agent.username),
        public_reference=row.public_reference,
        operation=operation,
        contact_operation=contact_operation,
        warnings=warnings,
    ).model_dump(mode="json")
    answer = to_wire(outcome)
    assert answer == documented
    assert list(answer) == list(documented)
