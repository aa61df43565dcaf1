"""Service settings, read from `MAXWORK_*` environment variables and passed in explicitly."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./maxwork-leads.db"


def sqlalchemy_url(url: str) -> str:
    """Map the plain URL every PostgreSQL tool understands onto the driver this service uses."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAXWORK_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLite file (default) or postgresql://user:password@host:port/db.",
    )
    default_region: str = Field(
        "PT", description="Region used to read phone numbers written without a country code."
    )
    max_body_bytes: int = Field(1024 * 1024, gt=0, description="Largest accepted request body.")
    max_batch_body_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="Largest accepted body of the batch endpoint."
    )
    pool_size: int = Field(10, gt=0, description="Database connections kept per server process.")
    writer_threads_setting: int | None = Field(
        None,
        gt=0,
        alias="MAXWORK_WRITER_THREADS",
        description="Threads per process that run lead writes; default 1 on SQLite (one "
        "writer at a time), the pool size on PostgreSQL.",
    )
    group_writes: bool = Field(
        True,
        description="Write single-lead requests that arrive while the process's writer is "
        "busy together, in one transaction (all writes on SQLite with one writer thread).",
    )
    write_process: bool = Field(
        True,
        description="On SQLite, `maxwork-leads serve` writes in a helper process beside each "
        "server process (about 80 MB), so that HTTP and writing run on two cores at once; "
        "false writes in the server process. Needs grouped writes and one writer thread.",
    )
    batch_validation_processes: int = Field(
        0,
        ge=0,
        le=64,
        description="Helper processes per server process that validate the items of large "
        "batches while it writes (each about 75 MB); 0 validates them in the server process. "
        "`maxwork-leads serve` uses 1 when the machine has more cores than server processes.",
    )
    rate_limit_per_second: float = Field(
        20, ge=0, description="Requests per second per credential; 0 turns limiting off."
    )
    rate_limit_burst: int = Field(100, ge=1, description="Requests a credential may burst.")
    redis_url: str | None = Field(
        None,
        description="Redis for the rate limiter shared by several server processes "
        "(redis://host:port/db). Without it the limiter lives in the one server process.",
    )
    history_retention_days: int = Field(
        90, ge=1, description="Days integration history is kept (see `history prune`)."
    )
    idempotency_ttl_hours: int = Field(
        24, ge=24, description="Hours an Idempotency-Key's first response is replayed."
    )

    console_session_hours: int = Field(
        12, ge=1, le=24 * 30, description="Hours an operator stays signed in to the console."
    )
    console_max_failed_logins: int = Field(
        5, ge=1, description="Failed console sign-ins in a row that lock an operator account."
    )
    console_lockout_minutes: int = Field(
        15, ge=1, description="Minutes a locked operator account refuses every sign-in."
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql", "postgres:")):
            raise ValueError("MAXWORK_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("default_region")
    @classmethod
    def _region_upper(cls, value: str) -> str:
        return value.upper()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def groups_writes(self, *, single_lead: bool) -> bool:
        """Whether a write goes through the process's write queue (`api/write_queue.py`).

        SQLite with one writer thread: every write, since they run one at a time anyway.
        PostgreSQL: single-lead requests only; a batch is already one transaction.
        """
        if not self.group_writes:
            return False
        if self.is_sqlite:
            return self.writer_threads == 1
        return single_lead

    @property
    def uses_write_process(self) -> bool:
        """A served SQLite process writes in a helper process (`api/write_process.py`)."""
        return self.write_process and self.is_sqlite and self.groups_writes(single_lead=False)

    @property
    def writer_threads(self) -> int:
        if self.writer_threads_setting is not None:
            return self.writer_threads_setting
        return 1 if self.is_sqlite else self.pool_size
