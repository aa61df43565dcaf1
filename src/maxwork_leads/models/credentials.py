"""Integrator credentials: a username and the hash of a secret token."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from maxwork_leads.models.base import Base, IdMixin, TimestampMixin


class Credential(IdMixin, TimestampMixin, Base):
    __tablename__ = "credentials"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    revoked_at: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    # Requests per second for this credential; None means the service-wide setting.
    rate_limit: Mapped[float | None]
