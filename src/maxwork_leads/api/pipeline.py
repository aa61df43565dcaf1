"""The steps every integrator request goes through, in one place and in one order.

Authenticate, rate-limit, honour the Idempotency-Key, do the work, record the history, answer.
Plain functions over the services (run in a worker thread), so the HTTP handlers stay thin.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from maxwork_leads.api.errors import error_body, error_headers
from maxwork_leads.credentials import service as credentials
from maxwork_leads.db import Database
from maxwork_leads.errors import AppError, InternalError
from maxwork_leads.integration import history, idempotency, scrub
from maxwork_leads.integration.ratelimit import Limiter, RateLimited
from maxwork_leads.models import Credential
from maxwork_leads.settings import Settings

log = logging.getLogger("maxwork_leads.api")


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    limiter: Limiter


@dataclass(frozen=True)
class Call:
    """Who claims to call, and how; nothing here is trusted before `authorize`."""

    endpoint: str
    username: str | None
    token: str | None
    user_agent: str | None
    idempotency_key: str | None
    received_at: datetime
    started: float = field(default_factory=time.perf_counter)

    def origin(self) -> history.Origin:
        elapsed = (time.perf_counter() - self.started) * 1000
        return history.Origin(
            endpoint=self.endpoint,
            username=self.username,
            user_agent=self.user_agent,
            idempotency_key=self.idempotency_key,
            received_at=self.received_at,
            duration_ms=round(elapsed, 3),
        )

    def values(self) -> CallValues:
        """The call as plain values, for the trip to SQLite's write process
        (`api.write_process`); `from_values` makes it again.

        Pickled as a dataclass, the call cost the server process about 7 us a request, half
        of it the aware `received_at` sent through its class, its zone and the zone's
        offset. Microseconds since the epoch are exact; another zone, or no zone, goes as
        it is.
        """
        at = self.received_at
        when = (at - _EPOCH) // _MICROSECOND if at.tzinfo is UTC else at
        fields = (self.endpoint, self.username, self.token, self.user_agent)
        return (*fields, self.idempotency_key, when, self.started)

    @classmethod
    def from_values(cls, values: CallValues) -> Call:
        endpoint, username, token, user_agent, idempotency_key, when, started = values
        received_at = when if isinstance(when, datetime) else _EPOCH + when * _MICROSECOND
        return cls(endpoint, username, token, user_agent, idempotency_key, received_at, started)

    def __reduce__(self) -> tuple[Any, ...]:
        return _call, (self.values(),)


# endpoint, username, token, user agent, Idempotency-Key, received (microseconds since
# the epoch, or the datetime itself when it is not in UTC), started
CallValues = tuple[str, str | None, str | None, str | None, str | None, int | datetime, float]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _call(values: CallValues) -> Call:
    # A function of the module: one name in the pickle, where the classmethod is two.
    return Call.from_values(values)


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error_answer(exc: AppError, headers: dict[str, str] | None = None) -> Answer:
    return Answer(
        exc.status,
        error_body(exc.code, exc.message, exc.fields),
        {**(headers or {}), **error_headers(exc)},
    )


Admission = tuple[Credential, dict[str, str]]


def authorize(
    services: Services, session: Session, call: Call, *, record_use: bool = True
) -> Admission:
    """The caller's credential and its rate-limit headers; Unauthorized or RateLimited."""
    credential = credentials.authenticate(
        session, username=call.username, token=call.token, record_use=record_use
    )
    decision = services.limiter.check(str(credential.id), credential.rate_limit)
    if decision is None:
        return credential, {}
    if not decision.allowed:
        raise RateLimited(decision)
    return credential, decision.headers()


def read(services: Services, call: Call, work: Callable[[Session, Credential], Any]) -> Answer:
    """An authenticated, rate-limited read; no history is written for reads.

    It runs in a read-only transaction (`Database.session_scope`: on SQLite, beside the
    writer instead of after it); the credential's use, when due, is recorded after it.
    """
    headers: dict[str, str] = {}
    try:
        with services.database.session_scope(read_only=True) as session:
            credential, headers = authorize(services, session, call, record_use=False)
            answer = Answer(200, work(session, credential), headers)
    except RateLimited as exc:
        return error_answer(exc, exc.decision.headers())
    except AppError as exc:
        return error_answer(exc, headers)
    if credentials.use_unrecorded(credential, services.database.directory_cache):
        _record_use(services, credential)
    return answer


def _record_use(services: Services, credential: Credential) -> None:
    """`last_used_at` is bookkeeping: a read already answered does not fail for it."""
    try:
        with services.database.session_scope() as session:
            credentials.record_use(session, credential)
    except SQLAlchemyError:
        log.warning("could not record the use of credential %s", credential.id, exc_info=True)


@dataclass
class Written:
    """What a write handler produced: the answer and the history entries that explain it."""

    answer: Answer
    entries: list[history.Entry]


Work = Callable[[Session, Credential], Written]


def write(
    services: Services,
    call: Call,
    body: Any,
    work: Work,
) -> Answer:
    """An authenticated, rate-limited, idempotent write, recorded in the history.

    Success: the effect, the idempotency record and the history entries commit together.
    Failure: the effect rolls back and the failure is recorded in a transaction of its own.
    A deadlock or serialisation failure is retried: the database undid all of it.
    """
    credential_id = None
    try:
        for attempt in range(1, RETRIES + 1):
            try:
                return _write_once(services, call, body, work)
            except DBAPIError as exc:
                if attempt == RETRIES or not _is_transient(exc):
                    raise
                log.warning("retrying %s after %s", call.endpoint, type(exc.orig).__name__)
        raise AssertionError("unreachable")
    except Refused as refused:
        answer, failure, credential_id = refused.answer, refused.failure, refused.credential_id
    except Exception:
        log.exception("unhandled error on %s", call.endpoint)
        failure = InternalError("internal error; it has been logged")
        answer = error_answer(failure)
    _record(services, call, credential_id, failure_entry(call, failure, body))
    return answer


def failure_entry(call: Call, failure: AppError, body: Any) -> history.Entry:
    """The history entry of a write request that failed, with the body it sent."""
    external_id = body.get("External_LeadId") if isinstance(body, dict) else None
    return _failure(
        failure,
        scrub.body_text(body, call.token),
        external_id if isinstance(external_id, str) else None,
    )


RETRIES = 3


def _is_transient(exc: DBAPIError) -> bool:
    """A deadlock or serialisation failure: the database undid everything; trying again is safe."""
    return isinstance(
        exc.orig, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
    )


class Refused(Exception):
    """A write that must not stand: roll it back, record `failure`, answer `answer`."""

    def __init__(self, answer: Answer, failure: AppError, credential_id: Any) -> None:
        self.answer, self.failure, self.credential_id = answer, failure, credential_id


def _write_once(
    services: Services,
    call: Call,
    body: Any,
    work: Work,
) -> Answer:
    with services.database.session_scope() as session:
        return apply_write(services, session, call, body, work)


def admit(services: Services, session: Session, call: Call) -> Admission | AppError:
    """`authorize`, with its refusal as a value: for a caller that admits several requests
    first and applies them after (`apply_write`'s `admission`)."""
    try:
        return authorize(services, session, call)
    except AppError as exc:
        return exc


def apply_write(
    services: Services,
    session: Session,
    call: Call,
    body: Any,
    work: Work,
    admission: Admission | AppError | None = None,
) -> Answer:
    """One write request inside the caller's transaction; Refused when it must not stand.

    `admission`: what `admit` said about this call, when the caller has already asked.
    """
    headers: dict[str, str] = {}
    credential_id = None
    try:
        if admission is None:
            admission = authorize(services, session, call)
        if isinstance(admission, AppError):
            raise admission
        credential, headers = admission
        credential_id = credential.id
        key_row = None
        if call.idempotency_key is not None:
            idempotency.check_key(call.idempotency_key)
            key_row, stored = idempotency.claim(
                session,
                credential_id=credential.id,
                key=call.idempotency_key,
                endpoint=call.endpoint,
                body=body,
                ttl=timedelta(hours=services.settings.idempotency_ttl_hours),
            )
            if stored is not None:
                replay = Answer(
                    stored.status, stored.body, {**headers, "Idempotent-Replayed": "true"}
                )
                entry = history.Entry(
                    stored.status, "replayed", body=scrub.body_text(body, call.token)
                )
                history.record(session, call.origin(), credential.id, [entry])
                return replay
        written = work(session, credential)
        written.answer.headers.update(headers)
        if key_row is not None:
            idempotency.complete(session, key_row, written.answer.status, written.answer.body)
        history.record(session, call.origin(), credential.id, written.entries)
        return written.answer
    except RateLimited as exc:
        raise Refused(error_answer(exc, exc.decision.headers()), exc, credential_id) from None
    except AppError as exc:
        raise Refused(error_answer(exc, headers), exc, credential_id) from None


def refuse(services: Services, call: Call, failure: AppError, body_text: str | None) -> Answer:
    """A request refused before its body could be read (415, 413, 400): record and answer.

    Filed in the integrator's history when its credential is valid, so that they can see why.
    """
    credential_id = None
    try:
        with services.database.session_scope() as session:
            credential = credentials.authenticate(session, username=call.username, token=call.token)
            credential_id = credential.id
    except AppError:
        pass
    record_failure(services, call, credential_id, failure, body_text)
    return error_answer(failure)


def record_failure(
    services: Services,
    call: Call,
    credential_id: Any,
    failure: AppError,
    body_text: str | None,
) -> None:
    _record(services, call, credential_id, _failure(failure, body_text, None))


def _failure(failure: AppError, body_text: str | None, external_id: str | None) -> history.Entry:
    return history.Entry(
        failure.status,
        "error",
        error_code=failure.code,
        error_message=failure.message[:2000],
        body=body_text,
        external_id=scrub.clean_text(external_id, 200) if external_id else None,
    )


def _record(services: Services, call: Call, credential_id: Any, entry: history.Entry) -> None:
    """A failed request's entry, in a transaction of its own: its own one rolled back."""
    try:
        with services.database.session_scope() as session:
            history.record(session, call.origin(), credential_id, [entry])
    except SQLAlchemyError:
        log.exception("could not record a failed request in the history")
