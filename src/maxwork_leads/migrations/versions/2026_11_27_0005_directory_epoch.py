"""The directory epoch: a value that every change to the directory or to a credential's
authentication moves, so that server processes may remember both between requests.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a cached credential or route depends on. `last_used_at` is left out on purpose:
# recording use must not throw every process's cache away once a minute.
CREDENTIAL_COLUMNS = "username, token_hash, agency_id, revoked_at, rate_limit"
WATCHED = {
    "agencies": "INSERT OR DELETE OR UPDATE",
    "users": "INSERT OR DELETE OR UPDATE",
    "listings": "INSERT OR DELETE OR UPDATE",
    "credentials": f"INSERT OR DELETE OR UPDATE OF {CREDENTIAL_COLUMNS}",
}

# PostgreSQL: the changing transaction's own ID, which no other transaction ever had.
POSTGRES_FUNCTION = """
CREATE FUNCTION move_directory_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_epoch (id, epoch) VALUES (1, pg_current_xact_id()::text::bigint)
    ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch;
    RETURN NULL;
END
$$
"""
# SQLite has no transaction ID: 64 random bits, so that a value never comes back.
SQLITE_BODY = (
    "INSERT INTO directory_epoch (id, epoch) VALUES (1, random()) "
    "ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch;"
)
SQLITE_EVENTS = ("INSERT", "DELETE")


def upgrade() -> None:
    op.create_table(
        "directory_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_epoch")),
    )
    op.execute("INSERT INTO directory_epoch (id, epoch) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table, events in WATCHED.items():
            op.execute(
                f"CREATE TRIGGER move_directory_epoch AFTER {events} OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION move_directory_epoch()"
            )
        return
    for table in WATCHED:
        # SQLite triggers fire per row and take one event each.
        events = [*SQLITE_EVENTS, "UPDATE"]
        if table == "credentials":
            events[-1] = f"UPDATE OF {CREDENTIAL_COLUMNS}"
        for number, event in enumerate(events):
            op.execute(
                f"CREATE TRIGGER move_directory_epoch_{table}_{number} AFTER {event} "
                f"ON {table} BEGIN {SQLITE_BODY} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER move_directory_epoch ON {table}")
        op.execute("DROP FUNCTION move_directory_epoch()")
    else:
        for table in WATCHED:
            for number in range(3):
                op.execute(f"DROP TRIGGER move_directory_epoch_{table}_{number}")
    op.drop_table("directory_epoch")
