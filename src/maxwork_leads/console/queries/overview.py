"""What the overview shows: recent traffic per integrator, its failures, and a few totals.

Every aggregate is grouped in the database over the last days of `integration_requests`,
reached through its `received_at` index; only the small grouped result comes back.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, case, cast, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from maxwork_leads.models import Contact, Credential, IntegrationRequest, Lead
from maxwork_leads.models.base import utcnow

WINDOW_DAYS = 30
LATEST_FAILURES = 20
INTEGRATOR_ROWS = 25
MESSAGE_CHARS = 160

_request = IntegrationRequest
_accepted = (_request.status_code >= 200) & (_request.status_code < 300)
_failed = _request.status_code >= 400


@dataclass(frozen=True)
class DailyLeads:
    day: date
    username: str | None
    count: int


@dataclass(frozen=True)
class IntegratorErrors:
    username: str | None
    requests: int
    client_errors: int
    server_errors: int

    @property
    def failures(self) -> int:
        return self.client_errors + self.server_errors

    @property
    def rate(self) -> float:
        """Failed requests in percent of all requests (0 with no requests)."""
        return 100 * self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Failure:
    id: uuid.UUID
    received_at: datetime
    username: str | None
    endpoint: str
    status_code: int
    error_code: str | None
    error_message: str | None
    external_id: str | None


@dataclass(frozen=True)
class Totals:
    leads: int
    contacts: int
    active_credentials: int


@dataclass(frozen=True)
class Overview:
    days: list[date]
    daily: list[DailyLeads]
    integrators: list[IntegratorErrors]
    more_integrators: bool
    failures: list[Failure]
    totals: Totals

    @property
    def leads_today(self) -> int:
        return sum(row.count for row in self.daily if row.day == self.days[-1])

    @property
    def leads_in_window(self) -> int:
        return sum(row.count for row in self.daily)

    def leads_by_integrator(self) -> dict[str, list[int]]:
        """One count per day of the window for each integrator that sent leads in it."""
        position = {day: i for i, day in enumerate(self.days)}
        counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(self.days))
        for row in self.daily:
            if row.day in position:
                counts[row.username or ""][position[row.day]] += row.count
        return dict(counts)


def window(now: datetime) -> list[date]:
    """The UTC days shown, oldest first, ending with today."""
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=back) for back in range(WINDOW_DAYS - 1, -1, -1)]


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def utc_day(session: Session, column: ColumnElement[datetime]) -> ColumnElement[date]:
    """The UTC calendar day of a timestamp, in the dialect's own SQL.

    PostgreSQL truncates in the session's time zone, so the value is moved to UTC first;
    SQLite stores UTC text, whose `date()` is already the UTC day.
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return type_coerce(func.date(column), Date)


def leads_per_day(session: Session, since: datetime) -> list[DailyLeads]:
    """Accepted requests (one per lead sent, batch items included) per UTC day and username.

    Idempotent replays are the same lead sent again, so they are not counted twice.
    """
    day = utc_day(session, _request.received_at).label("day")
    query = (
        select(day, _request.username, func.count().label("n"))
        .where(
            _request.received_at >= since,
            _accepted,
            _request.outcome.is_distinct_from("replayed"),
        )
        .group_by(day, _request.username)
        .order_by(day, _request.username)
    )
    return [DailyLeads(row.day, row.username, int(row.n)) for row in session.execute(query)]


def errors_per_integrator(
    session: Session, since: datetime, limit: int = INTEGRATOR_ROWS
) -> list[IntegratorErrors]:
    """Requests and failures per username, the most failing first."""
    client = func.sum(case((_request.status_code.between(400, 499), 1), else_=0))
    server = func.sum(case((_request.status_code >= 500, 1), else_=0))
    requests = func.count()
    query = (
        select(_request.username, requests.label("n"), client.label("c"), server.label("s"))
        .where(_request.received_at >= since)
        .group_by(_request.username)
        .order_by((client + server).desc(), requests.desc(), _request.username)
        .limit(limit)
    )
    return [
        IntegratorErrors(row.username, int(row.n), int(row.c or 0), int(row.s or 0))
        for row in session.execute(query)
    ]


def latest_failures(
    session: Session, since: datetime, limit: int = LATEST_FAILURES
) -> list[Failure]:
    """The newest failed requests; messages cut short in SQL, as the table shows only a line."""
    query = (
        select(
            _request.id,
            _request.received_at,
            _request.username,
            _request.endpoint,
            _request.status_code,
            _request.error_code,
            func.substr(_request.error_message, 1, MESSAGE_CHARS + 1).label("message"),
            _request.external_id,
        )
        .where(_request.received_at >= since, _failed)
        .order_by(_request.id.desc())
        .limit(limit)
    )
    return [
        Failure(
            row.id,
            row.received_at,
            row.username,
            row.endpoint,
            row.status_code,
            row.error_code,
            row.message,
            row.external_id,
        )
        for row in session.execute(query)
    ]


def totals(session: Session) -> Totals:
    """Whole-table counts in one round trip; small tables, or cheap enough for a glance."""
    row = session.execute(
        select(
            select(func.count()).select_from(Lead).scalar_subquery(),
            select(func.count()).select_from(Contact).scalar_subquery(),
            select(func.count())
            .select_from(Credential)
            .where(Credential.revoked_at.is_(None))
            .scalar_subquery(),
        )
    ).one()
    return Totals(int(row[0]), int(row[1]), int(row[2]))


def overview(session: Session, now: datetime | None = None) -> Overview:
    """Everything the overview page shows, read in the caller's one transaction."""
    days = window(now or utcnow())
    since = start_of(days[0])
    integrators = errors_per_integrator(session, since, INTEGRATOR_ROWS + 1)
    return Overview(
        days=days,
        daily=leads_per_day(session, since),
        integrators=integrators[:INTEGRATOR_ROWS],
        more_integrators=len(integrators) > INTEGRATOR_ROWS,
        failures=latest_failures(session, since),
        totals=totals(session),
    )
