"""Two fewer index entries per new lead.

The natural-key index covered every lead, but only archived leads are looked up through
it: open ones are found through the unique partial index on the same columns. It now
holds archived leads only. The index on `credential_id` alone repeated the first column
of `ix_leads_credential_id_change_seq`, which serves the same look-ups. On a table of a
million leads each of these was one more index page to change per new lead.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NATURAL_KEY = ["agent_id", "listing_key", "phone_key", "email"]
ARCHIVED_LEAD = sa.text("status = 'Archived'")


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leads_archived_natural_key",
            NATURAL_KEY,
            unique=False,
            postgresql_where=ARCHIVED_LEAD,
            sqlite_where=ARCHIVED_LEAD,
        )
        batch_op.drop_index("ix_leads_natural_key")
        batch_op.drop_index("ix_leads_credential_id")


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_credential_id", ["credential_id"], unique=False)
        batch_op.create_index("ix_leads_natural_key", NATURAL_KEY, unique=False)
        batch_op.drop_index("ix_leads_archived_natural_key")
