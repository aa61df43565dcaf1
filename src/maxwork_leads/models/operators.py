"""Operator accounts for the web console and their signed-in sessions.

Operators are the platform team, not integrators: a credential's token never opens the
console, and an operator's password never calls the API.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from maxwork_leads.models.base import Base, IdMixin, utcnow


class Operator(IdMixin, Base):
    __tablename__ = "operators"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    # An argon2id hash in its standard encoded form (algorithm, parameters, salt, digest).
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Failed sign-ins since the last success; enough of them lock the account for a while.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class OperatorSession(IdMixin, Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "operator_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    # Every form of the session carries this value; a cross-site form cannot know it.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(500))
