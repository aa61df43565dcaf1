"""Integration history, idempotency keys, lead links, change feed order, rate limits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:51:24.820758
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_idempotency_keys_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "credential_id", "key", name=op.f("uq_idempotency_keys_credential_id_key")
        ),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "integration_requests",
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_integration_requests_credential_id_credentials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_integration_requests_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_requests")),
    )
    with op.batch_alter_table("integration_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_integration_requests_credential_id_external_id",
            ["credential_id", "external_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_integration_requests_credential_id_id", ["credential_id", "id"], unique=False
        )
        batch_op.create_index("ix_integration_requests_lead_id", ["lead_id"], unique=False)
        batch_op.create_index("ix_integration_requests_received_at", ["received_at"], unique=False)

    op.create_table(
        "lead_links",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_lead_links_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_links_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("credential_id", "lead_id", name=op.f("pk_lead_links")),
    )
    with op.batch_alter_table("lead_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_links_lead_id"), ["lead_id"], unique=False)

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limit", sa.Double(), nullable=True))

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_leads_change_seq", ["change_seq", "id"], unique=False)
        batch_op.create_index(
            "ix_leads_credential_id_change_seq", ["credential_id", "change_seq", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_credential_id_change_seq")
        batch_op.drop_index("ix_leads_change_seq")
        batch_op.drop_column("change_seq")

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("rate_limit")

    with op.batch_alter_table("lead_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_links_lead_id"))

    op.drop_table("lead_links")
    with op.batch_alter_table("integration_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_integration_requests_received_at")
        batch_op.drop_index("ix_integration_requests_lead_id")
        batch_op.drop_index("ix_integration_requests_credential_id_id")
        batch_op.drop_index("ix_integration_requests_credential_id_external_id")

    op.drop_table("integration_requests")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
