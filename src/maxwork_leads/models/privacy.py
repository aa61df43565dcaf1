"""The audit trail of erasures: what was erased and when, never who it was about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from maxwork_leads.models.base import Base, IdMixin, utcnow


class Erasure(IdMixin, Base):
    __tablename__ = "erasures"

    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "email" or "phone", and a salted-free SHA-256 of the normalised value: enough to answer
    # "was this person erased?" when they ask again, useless for finding out who they were.
    selector: Mapped[str] = mapped_column(String(10))
    selector_digest: Mapped[str] = mapped_column(String(64), index=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    operator: Mapped[str | None] = mapped_column(String(100))
