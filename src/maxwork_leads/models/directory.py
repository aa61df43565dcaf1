"""Agencies, their users (agents and lead managers) and their listings."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from maxwork_leads.models.base import Base, IdMixin, TimestampMixin

ROLE_AGENT = "agent"
ROLE_LEAD_MANAGER = "lead_manager"
ROLES = (ROLE_AGENT, ROLE_LEAD_MANAGER)


class Agency(IdMixin, TimestampMixin, Base):
    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_AGENT)
    active: Mapped[bool] = mapped_column(default=True)


class Listing(IdMixin, TimestampMixin, Base):
    __tablename__ = "listings"

    public_reference: Mapped[str] = mapped_column(String(100), unique=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(300))


class DirectoryEpoch(Base):
    """One row whose value changes, by trigger, in every transaction that changes the
    directory (agencies, users, listings) or what authenticates a credential.

    Server processes remember credentials and routes together with the epoch they were read
    under, and trust them only while a request's own transaction still reads that epoch
    (see `directory.cache`). Triggers, not application code, keep it: a change made by any
    client, even by hand in SQL, moves it.
    """

    __tablename__ = "directory_epoch"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger)
