"""One index fewer per new lead and per new contact: the identity indexes lead with email.

The unique indexes on a lead's natural key and on a contact's identity began with the
agent; a look-up by email alone (a batch's existing leads and contacts, the console's
person search, an erasure) went through a separate index on `email`. With email as
their first column they serve those look-ups themselves: on leads, open ones through the
unique partial index and archived ones through its archived twin, so the separate email
indexes go. On a table of a million rows each was a random page to change per row.

Rebuilding a unique index reads the whole table: on a large PostgreSQL database this
migration takes a while, and writes to leads and contacts wait for it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_LEAD = sa.text("status <> 'Archived'")
ARCHIVED_LEAD = sa.text("status = 'Archived'")
LEAD_KEY_BEFORE = ["agent_id", "listing_key", "phone_key", "email"]
LEAD_KEY_AFTER = ["email", "phone_key", "agent_id", "listing_key"]
CONTACT_KEY_BEFORE = ["agent_id", "phone_key", "email"]
CONTACT_KEY_AFTER = ["email", "phone_key", "agent_id"]


def _lead_indexes(columns: list[str]) -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("uq_leads_open_natural_key")
        batch_op.drop_index("ix_leads_archived_natural_key")
        batch_op.create_index(
            "uq_leads_open_natural_key",
            columns,
            unique=True,
            postgresql_where=OPEN_LEAD,
            sqlite_where=OPEN_LEAD,
        )
        batch_op.create_index(
            "ix_leads_archived_natural_key",
            columns,
            unique=False,
            postgresql_where=ARCHIVED_LEAD,
            sqlite_where=ARCHIVED_LEAD,
        )


def _contact_index(columns: list[str]) -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("uq_contacts_identity")
        batch_op.create_index("uq_contacts_identity", columns, unique=True)


def upgrade() -> None:
    _lead_indexes(LEAD_KEY_AFTER)
    _contact_index(CONTACT_KEY_AFTER)
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_email")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_email")


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_email", ["email"], unique=False)
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_email", ["email"], unique=False)
    _contact_index(CONTACT_KEY_BEFORE)
    _lead_indexes(LEAD_KEY_BEFORE)
