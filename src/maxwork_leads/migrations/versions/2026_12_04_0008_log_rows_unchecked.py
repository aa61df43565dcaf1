"""Activity and history rows no longer ask the database to check their references.

Every new lead writes one `lead_activity` row and one `integration_requests` row, and
each named its lead and its credential through a foreign key. On PostgreSQL each such
key is a trigger per row: a query that finds the referenced row and locks it (a WAL
record for a lead just inserted). For a batch of 500 new leads that was about half of
the database's time, more than the leads' own eleven indexes.

Both tables are append-only logs, written only in the transaction that wrote or locked
the lead they describe, for the credential that transaction has just authenticated.
Nothing deletes leads or credentials (erasure overwrites a person's data, revoking a
credential marks it), so the checks could never fail. Leads keep theirs: a lead still
cannot name an agency, agent, listing, credential or contact that does not exist.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table, ON DELETE)
REFERENCES = [
    ("lead_activity", "lead_id", "leads", None),
    ("lead_activity", "credential_id", "credentials", None),
    ("integration_requests", "credential_id", "credentials", "SET NULL"),
    ("integration_requests", "lead_id", "leads", "SET NULL"),
]


def _name(table: str, column: str, referenced: str) -> str:
    return f"fk_{table}_{column}_{referenced}"


def upgrade() -> None:
    for table in ("lead_activity", "integration_requests"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, referenced, _ in REFERENCES:
                if owner == table:
                    batch_op.drop_constraint(_name(table, column, referenced), type_="foreignkey")


def downgrade() -> None:
    for table in ("lead_activity", "integration_requests"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, referenced, on_delete in REFERENCES:
                if owner == table:
                    batch_op.create_foreign_key(
                        _name(table, column, referenced),
                        referenced,
                        [column],
                        ["id"],
                        ondelete=on_delete,
                    )
