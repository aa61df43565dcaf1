"""What integrators sent: the request history and the idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maxwork_leads.models.base import Base, IdMixin, utcnow


class IntegrationRequest(IdMixin, Base):
    """One request to a lead-writing endpoint (one row per item of a batch), kept for debugging.

    IDs are time-ordered, so ordering by ID is ordering by arrival. The credential and
    lead it names are not foreign keys: see `LeadActivity`.
    """

    __tablename__ = "integration_requests"
    __table_args__ = (
        Index("ix_integration_requests_credential_id_id", "credential_id", "id"),
        Index("ix_integration_requests_credential_id_external_id", "credential_id", "external_id"),
        Index("ix_integration_requests_received_at", "received_at"),
        Index("ix_integration_requests_lead_id", "lead_id"),
    )

    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    credential_id: Mapped[uuid.UUID | None]
    username: Mapped[str | None] = mapped_column(String(100))
    endpoint: Mapped[str] = mapped_column(String(40))
    batch_index: Mapped[int | None]
    user_agent: Mapped[str | None] = mapped_column(String(500))
    status_code: Mapped[int]
    outcome: Mapped[str | None] = mapped_column(String(20))
    lead_id: Mapped[uuid.UUID | None]
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None]


class IdempotencyKey(IdMixin, Base):
    """The first response to a request sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("credential_id", "key"),)

    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(40))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
