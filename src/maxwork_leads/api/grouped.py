"""Write requests that waited for the process's writer, written as one transaction.

Each request is answered exactly as `pipeline.write` would answer it alone, in arrival
order. Requests that touch nothing else in the group, new leads and updates of open ones,
are written the way a batch writes them (`batch.write_independent`): a few look-ups and
one INSERT or UPDATE per table for all of them, instead of a savepoint and a handful of
statements each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from maxwork_leads.api import pipeline
from maxwork_leads.api.lead_work import LeadWork, written
from maxwork_leads.db.engine import ON_COMMIT
from maxwork_leads.errors import AppError, InternalError
from maxwork_leads.integration import history, scrub
from maxwork_leads.leads import batch, repository
from maxwork_leads.leads import service as leads
from maxwork_leads.leads.parsing import parse_lead
from maxwork_leads.leads.schemas import LeadIn

log = logging.getLogger("maxwork_leads.api")


@dataclass(frozen=True)
class Job:
    """One write request waiting for its turn: what `pipeline.write` takes, as one value."""

    call: pipeline.Call
    body: Any
    work: pipeline.Work

    def alone(self, services: pipeline.Services) -> pipeline.Answer:
        return pipeline.write(services, self.call, self.body, self.work)

    def __reduce__(self) -> tuple[Any, ...]:
        """How a job travels to SQLite's write process: one lead's write as plain values
        under one name (`_lead_job`), any other job as its fields.

        Each class a pickle names costs the server process about 2 us, and a job with its
        call and its work named three: more than the body itself.
        """
        work = self.work
        if (
            type(work) is LeadWork
            and work.lead_in is None
            and work.call is self.call
            and work.body is self.body
        ):
            return _lead_job, (self.call.values(), self.body, work.region)
        return Job, (self.call, self.body, self.work)


def _lead_job(call: pipeline.CallValues, body: Any, region: str) -> Job:
    made = pipeline.Call.from_values(call)
    return Job(made, body, LeadWork(made, body, region))


@dataclass(frozen=True)
class Refusal:
    """A write request refused before its body could be read (415, 413, 400): what
    `pipeline.refuse` takes. It writes only its history entry, so it goes where the
    process's writes go: on SQLite a server process writing it itself would wait for
    the write process's lock, polling, up to seconds under load."""

    call: pipeline.Call
    failure: AppError
    body_text: str | None

    def alone(self, services: pipeline.Services) -> pipeline.Answer:
        return pipeline.refuse(services, self.call, self.failure, self.body_text)


def write_all(services: pipeline.Services, jobs: list[Job | Refusal]) -> list[pipeline.Answer]:
    """The write requests written together (`write_together`), each refusal on its own
    (it shares nothing with them); one answer each, in order."""
    written = iter(write_together(services, [job for job in jobs if isinstance(job, Job)]))
    return [next(written) if isinstance(job, Job) else job.alone(services) for job in jobs]


def write_together(services: pipeline.Services, jobs: list[Job]) -> list[pipeline.Answer]:
    """Several write requests in one transaction; one answer each, in order.

    One commit, one epoch read and one trip to a writer thread serve the whole group,
    instead of one each. Every
    request is admitted (authenticated, rate-limited) in arrival order; the leads
    that can be created or updated together are; every other request is applied, refused or
    recorded in a savepoint of its own, in arrival order, so each sees the ones before
    it as if they had committed first. Every answer waits for the shared commit, so a
    2xx still means committed. If that commit fails, nothing of the group was kept, and
    each request is written again on its own.
    """
    if not jobs:
        return []
    if len(jobs) == 1:
        return [jobs[0].alone(services)]
    try:
        with services.database.session_scope() as session:
            admissions = [pipeline.admit(services, session, job.call) for job in jobs]
            done, parsed = _write_independent(session, jobs, admissions)
            return [
                done[index]
                if index in done
                else _apply_in_savepoint(services, session, parsed[index], admissions[index])
                for index in range(len(jobs))
            ]
    except Exception:
        log.exception("a group of %d writes failed; writing each on its own", len(jobs))
        return [pipeline.write(services, job.call, job.body, job.work) for job in jobs]


def _write_independent(
    session: Session, jobs: list[Job], admissions: list[pipeline.Admission | AppError]
) -> tuple[dict[int, pipeline.Answer], list[Job]]:
    """The answers of the requests whose lead was written together, by index; and the
    jobs, with the bodies parsed here kept, so that the rest are not parsed twice.

    Only for a group of single-lead requests: what any other request writes is not known
    before it runs, so it could share a lead with one of them. A request with an
    Idempotency-Key is applied alone, but its lead still counts.

    The locks of every request are taken here, at once and in ascending order, as a
    batch takes them: two groups in two PostgreSQL processes can then never each hold
    what the other waits for (each request taking its own as it runs could).
    """
    works = [job.work for job in jobs if isinstance(job.work, LeadWork)]
    if len(works) < len(jobs):
        return {}, jobs
    parsed: list[LeadIn | None] = []
    prepared: list[leads.Prepared | None] = []
    received: list[leads.Received | None] = []
    for work, admission in zip(works, admissions, strict=True):
        lead_in = item = person = None
        if not isinstance(admission, AppError):
            credential = admission[0]
            try:
                lead_in = parse_lead(work.body, work.region)
                item = leads.prepare(session, lead_in, credential, region=work.region)
                person = work.received(credential)
            except AppError:
                pass  # refused again, and recorded, when applied alone
        parsed.append(lead_in)
        prepared.append(item)
        received.append(person)
    repository.lock_keys(session, (lock for item in prepared if item for lock in item.locks()))
    keyed = {index for index, job in enumerate(jobs) if job.call.idempotency_key is not None}
    outcomes = batch.write_independent(session, prepared, received, counted_only=keyed)
    answers: dict[int, pipeline.Answer] = {}
    records: list[tuple[history.Origin, Any, list[history.Entry]]] = []
    for index, outcome in outcomes.items():
        job, lead_in, admission = jobs[index], parsed[index], admissions[index]
        assert lead_in is not None and not isinstance(admission, AppError)
        credential, headers = admission
        result = written(outcome, lead_in, scrub.body_text(job.body, job.call.token))
        result.answer.headers.update(headers)
        answers[index] = result.answer
        records.append((job.call.origin(), credential.id, result.entries))
    history.record_many(session, records)
    kept = [
        replace(job, work=replace(work, lead_in=lead_in)) if lead_in is not None else job
        for job, work, lead_in in zip(jobs, works, parsed, strict=True)
    ]
    return answers, kept


def _apply_in_savepoint(
    services: pipeline.Services,
    session: Session,
    job: Job,
    admission: pipeline.Admission | AppError,
) -> pipeline.Answer:
    callbacks = session.info.setdefault(ON_COMMIT, [])
    kept = len(callbacks)
    credential_id = None
    try:
        with session.begin_nested():
            return pipeline.apply_write(services, session, job.call, job.body, job.work, admission)
    except pipeline.Refused as refused:
        answer, failure, credential_id = refused.answer, refused.failure, refused.credential_id
    except SQLAlchemyError:
        raise  # the transaction itself may be broken: the whole group is written again
    except Exception:
        log.exception("unhandled error on %s", job.call.endpoint)
        failure = InternalError("internal error; it has been logged")
        answer = pipeline.error_answer(failure)
    del callbacks[kept:]  # what the rolled-back request meant to do after commit
    entry = pipeline.failure_entry(job.call, failure, job.body)
    history.record(session, job.call.origin(), credential_id, [entry])
    return answer
