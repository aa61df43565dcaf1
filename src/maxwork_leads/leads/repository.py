"""Every query about leads, contacts, qualifications and lead activity."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from maxwork_leads.db import arrays
from maxwork_leads.db.rows import RowInsert
from maxwork_leads.ids import new_id
from maxwork_leads.leads.lead_row import LeadRow
from maxwork_leads.leads.matching import ContactKey, NaturalKey
from maxwork_leads.models import Base, Contact, Lead, LeadActivity, LeadLink, Qualification, User
from maxwork_leads.models.base import utcnow
from maxwork_leads.models.leads import ARCHIVED_LEAD, OPEN_LEAD


def lock_keys(session: Session, lock_ids: Iterable[int]) -> None:
    """Serialise requests about the same lead or contact until this transaction ends.

    PostgreSQL: transaction-scoped advisory locks, all in one statement and always in
    ascending order, so that two transactions can never wait for each other in a circle.
    SQLite needs none: every write transaction there begins IMMEDIATE and runs alone, and
    `lock_ids` (which may be a generator) is not even read.
    """
    if not is_postgresql(session):
        return
    ids = sorted(set(lock_ids))
    if not ids:
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:ids AS bigint[])) AS k"),
        {"ids": ids},
    )


_BY_EXTERNAL_ID = (
    select(Lead)
    .where(Lead.credential_id == bindparam("credential_id"))
    .where(Lead.external_id == bindparam("external_id"))
    .with_for_update()
)


def lead_by_external_id(
    session: Session, credential_id: uuid.UUID, external_id: str
) -> Lead | None:
    params = {"credential_id": credential_id, "external_id": external_id}
    return session.scalar(_BY_EXTERNAL_ID, params)


# Built once: these run on every request, and building a statement costs more than its
# cached compilation.
_BY_KEY = select(Lead).where(
    Lead.agent_id == bindparam("agent_id"),
    Lead.listing_key == bindparam("listing_key"),
    Lead.phone_key == bindparam("phone_key"),
    Lead.email == bindparam("email"),
)
_OPEN_LEAD = _BY_KEY.where(OPEN_LEAD).with_for_update()
_LATEST_ARCHIVED = (
    _BY_KEY.where(ARCHIVED_LEAD).order_by(Lead.created_at.desc(), Lead.id.desc()).limit(1)
)
# Literal numbers, not bound ones: `_LEAD_ROWS` takes no parameters besides its columns.
_SQLITE_NEXT_SEQ = select(
    func.coalesce(func.max(Lead.change_seq), literal_column("0")) + literal_column("1")
).scalar_subquery()
_POSTGRES_NEXT_SEQ = literal_column("pg_current_xact_id()::text::bigint")


def _key_params(key: NaturalKey) -> dict[str, Any]:
    return {
        "agent_id": key.agent_id,
        "listing_key": key.listing_key,
        "phone_key": key.phone_key,
        "email": key.email,
    }


def open_lead(session: Session, key: NaturalKey) -> Lead | None:
    return session.scalar(_OPEN_LEAD, _key_params(key))


def latest_archived_lead(session: Session, key: NaturalKey) -> Lead | None:
    return session.scalar(_LATEST_ARCHIVED, _key_params(key))


def insert_checked(session: Session, row: Base) -> bool:
    """`insert`, for a row the caller has just looked for, under its locks, and not found.

    On SQLite nothing else can have written since (one writer at a time), so the
    savepoint is skipped; on PostgreSQL it stays as the backstop behind the advisory locks.
    """
    if is_postgresql(session):
        return insert(session, row)
    session.add(row)
    session.flush()
    return True


def _insert_lead_statement(insert_for: Any, next_seq: Any) -> Any:
    table = Lead.__table__
    values: dict[str, Any] = {
        column.key: bindparam(column.key, type_=column.type)
        for column in table.columns
        if column.key != "change_seq"
    }
    values["change_seq"] = next_seq
    return insert_for(table).values(values).on_conflict_do_nothing().returning(table.c.id)


# Built once per dialect: a statement built per request costs more than running it.
_INSERT_LEAD = {
    "postgresql": _insert_lead_statement(postgresql_insert, _POSTGRES_NEXT_SEQ),
    "sqlite": _insert_lead_statement(sqlite_insert, _SQLITE_NEXT_SEQ),
}
_LEAD_COLUMNS = [column.key for column in Lead.__table__.columns if column.key != "change_seq"]


# PostgreSQL's many-lead INSERT takes one array per column, in binary (see db.arrays).
_INSERT_LEADS_FROM_ARRAYS = arrays.BinaryArrays(
    arrays.insert_from_arrays(Lead.__table__, _LEAD_COLUMNS, {"change_seq": _POSTGRES_NEXT_SEQ})
    .on_conflict_do_nothing()
    .returning(Lead.__table__.c.id),
    arrays.column_types(Lead.__table__, _LEAD_COLUMNS),
)


# SQLite's many-lead INSERT: the driver's executemany (see db.rows).
_LEAD_ROWS = RowInsert(
    Lead.__table__, _LEAD_COLUMNS, {"change_seq": _SQLITE_NEXT_SEQ}, skip_conflicts=True
)


def insert_lead(session: Session, lead: Lead | LeadRow) -> bool:
    """A new lead as one INSERT of the complete row, built before it is written.

    Cheaper than the unit of work, and the request never reads the row back. ON CONFLICT
    DO NOTHING (PostgreSQL and SQLite) makes a lost race an empty RETURNING instead of an
    error, so no savepoint is needed: False then, and the caller reads the winner's row.
    The change number is set by the statement itself (see `next_change_seq`).
    """
    params = _lead_row(lead, utcnow())
    statement = _INSERT_LEAD[session.get_bind().dialect.name]
    # RETURNING, not the row count: drivers may report -1 for this statement.
    return session.connection().execute(statement, params).first() is not None


def _lead_row(lead: Lead | LeadRow, now: Any) -> dict[str, Any]:
    """The INSERT parameters of a new lead, with the defaults a flush would have set (a
    `LeadRow` has them all; a `Lead` built by hand may not)."""
    state = lead.__dict__
    row = {key: state.get(key) for key in _LEAD_COLUMNS}
    for key in ("created_at", "updated_at", "enquired_at"):
        if row[key] is None:
            row[key] = now
    if row["id"] is None:
        row["id"] = lead.id = new_id()
    return row


# A JSON value of None is stored as SQL NULL, not as the JSON text 'null': "no search
# profile" and "no attributes" must be found by IS NULL.
_JSON_OR_NULL = JSON(none_as_null=True)


def _insert_contact_statement(insert_for: Any) -> Any:
    table = Contact.__table__
    values = {key: bindparam(key, type_=table.c[key].type) for key in _CONTACT_COLUMNS}
    values["search_profile"] = bindparam("search_profile", type_=_JSON_OR_NULL)
    return insert_for(table).values(values).on_conflict_do_nothing().returning(table.c.id)


_CONTACT_COLUMNS = [c.key for c in Contact.__table__.columns if c.key != "search_profile"]
_CONTACT_ROW_COLUMNS = [*_CONTACT_COLUMNS, "search_profile"]
_CONTACT_TYPES = {"search_profile": _JSON_OR_NULL}
_INSERT_CONTACT = {
    "postgresql": _insert_contact_statement(postgresql_insert),
    "sqlite": _insert_contact_statement(sqlite_insert),
}


def insert_contact(session: Session, contact: Contact) -> bool:
    """A new contact as one INSERT; False when the person's contact already exists.

    Like `insert_lead`: no unit of work and, on PostgreSQL, no savepoint (ON CONFLICT DO
    NOTHING answers a lost race). The written object then joins the session as a
    persistent row, so that later changes to it (its search profile) are saved as UPDATEs.
    """
    _fill_defaults(contact)
    params = {key: getattr(contact, key) for key in _CONTACT_COLUMNS}
    params["search_profile"] = contact.search_profile
    statement = _INSERT_CONTACT[session.get_bind().dialect.name]
    if session.connection().execute(statement, params).first() is None:
        return False
    _join_as_written(session, contact)
    return True


_CONTACT_ROWS = RowInsert(
    Contact.__table__, _CONTACT_ROW_COLUMNS, types=_CONTACT_TYPES, skip_conflicts=True
)


# PostgreSQL's many-contact INSERT: one array per column, in binary (see db.arrays).
_INSERT_CONTACTS_FROM_ARRAYS = arrays.BinaryArrays(
    arrays.insert_from_arrays(Contact.__table__, _CONTACT_ROW_COLUMNS)
    .on_conflict_do_nothing()
    .returning(Contact.__table__.c.id),
    arrays.column_types(Contact.__table__, _CONTACT_ROW_COLUMNS, _CONTACT_TYPES),
)


def insert_contact_rows(session: Session, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Many new contacts, as complete rows (every column), in one statement; the IDs of
    the rows actually written.

    `insert_contact` for several people, without ORM objects: nothing later in the
    request changes these rows. A row that the unique index refuses is left out, for the
    caller to apply on its own.
    """
    if not rows:
        return set()
    if is_postgresql(session):
        params = arrays.as_arrays(rows, _CONTACT_ROW_COLUMNS)
        inserted = _INSERT_CONTACTS_FROM_ARRAYS.execute(session.connection(), params)
        return set(inserted.scalars())
    return _written(session, Contact.__table__, _CONTACT_ROWS, rows)


def _written(
    session: Session, table: Any, insert: RowInsert, new: Sequence[dict[str, Any]]
) -> set[uuid.UUID]:
    """SQLite: `new` rows inserted with the driver's executemany (see `db.rows`), and the
    IDs of those written. The count written says whether a unique index refused any; only
    then are the rows looked for, by their IDs, which nobody else has."""
    ids = [row["id"] for row in new]
    if insert.execute(session.connection(), new) == len(new):
        return set(ids)
    found = select(table.c.id).where(table.c.id.in_(bindparam("ids", expanding=True)))
    return set(session.connection().execute(found, {"ids": ids}).scalars())


def _by_email(table: Any, columns: Sequence[str], *more: Any) -> dict[str, Any]:
    """Per dialect, SELECT `columns` of the rows whose email is one of the `emails`
    parameter's values: on SQLite an expanding IN; on PostgreSQL one index probe per
    email, the same statement text for any number of them (see db.arrays). Built once: a
    statement built per call costs more than running it on a small group.

    PostgreSQL plans `email = ANY(:emails)` from the table's statistics, and a table that
    has never been analyzed (a new database, autovacuum off or not yet round) has none:
    the planner then expects hundreds of emails to match a large part of the table and
    reads it whole, for every batch. Here each email is looked up by itself, in a LATERAL
    subquery that OFFSET 0 keeps from being merged into a join, so the plan is a nested
    loop over the identity index whatever the statistics say.
    """
    email = table.c.email
    wanted = (
        func.unnest(bindparam("emails", type_=ARRAY(email.type)))
        .table_valued("email")
        .render_derived(name="wanted")
    )
    found = (
        select(*[table.c[key] for key in columns])
        .where(email == wanted.c.email, *more)
        .offset(literal_column("0"))
        .lateral("found")
    )
    return {
        "postgresql": select(*[found.c[key] for key in columns])
        .select_from(wanted)
        .join(found, true()),
        "sqlite": select(*[table.c[key] for key in columns]).where(
            email.in_(bindparam("emails", expanding=True)), *more
        ),
    }


_CONTACT_IDS = _by_email(Contact.__table__, ["id", "agent_id", "phone_key", "email"])


def contact_ids_by_keys(
    session: Session, keys: Sequence[ContactKey]
) -> dict[ContactKey, uuid.UUID]:
    """The IDs of the existing contacts among these keys: one query, through the identity
    index (email first), reading four columns rather than loading ORM objects."""
    if not keys:
        return {}
    wanted = set(keys)
    emails = sorted({key.email for key in keys})
    statement = _CONTACT_IDS[session.get_bind().dialect.name]
    found = session.connection().execute(statement, {"emails": emails})
    by_key = {ContactKey(row.agent_id, row.phone_key, row.email): row.id for row in found}
    return {key: contact_id for key, contact_id in by_key.items() if key in wanted}


def _contacts_found_or_inserted() -> Any:
    """PostgreSQL: insert the contacts of the rows (one array per column) that do not exist
    yet, and find those that do, in one statement.

    Every part of a statement reads the same snapshot, taken before its INSERT: the
    look-up finds only the contacts that existed before, each by one probe of the identity
    index (a LATERAL subquery kept apart by OFFSET 0, as in `_by_email`). Each row is
    answered once, flagged `inserted` or not; a row that neither finds its contact nor
    inserts it lost a race to a writer this snapshot cannot see.
    """
    table = Contact.__table__
    key_columns = ["agent_id", "phone_key", "email"]
    params = [bindparam(key, type_=ARRAY(table.c[key].type)) for key in _CONTACT_ROW_COLUMNS]
    unnested = func.unnest(*params).table_valued(*_CONTACT_ROW_COLUMNS).render_derived()
    wanted = select(*[unnested.c[key] for key in _CONTACT_ROW_COLUMNS]).cte("wanted")
    inserted = (
        postgresql_insert(table)
        .from_select(_CONTACT_ROW_COLUMNS, select(*[wanted.c[key] for key in _CONTACT_ROW_COLUMNS]))
        .on_conflict_do_nothing()
        .returning(table.c.id, *[table.c[key] for key in key_columns])
        .cte("inserted")
    )
    found = (
        select(table.c.id, *[table.c[key] for key in key_columns])
        .where(*[table.c[key] == wanted.c[key] for key in key_columns])
        .offset(literal_column("0"))
        .lateral("found")
    )
    return select(
        *[inserted.c[key] for key in ["id", *key_columns]], true().label("inserted")
    ).union_all(
        select(*[found.c[key] for key in ["id", *key_columns]], false().label("inserted"))
        .select_from(wanted)
        .join(found, true())
    )


_FIND_OR_INSERT_CONTACTS = arrays.BinaryArrays(
    _contacts_found_or_inserted(),
    arrays.column_types(Contact.__table__, _CONTACT_ROW_COLUMNS, _CONTACT_TYPES),
)


def find_or_insert_contacts(
    session: Session, rows: Sequence[dict[str, Any]]
) -> tuple[dict[ContactKey, uuid.UUID], set[uuid.UUID]]:
    """For complete contact rows of distinct people: the IDs of the contacts that already
    exist, by key, and the IDs of the rows written for the others.

    One statement on PostgreSQL, where each statement is a round trip; on SQLite a
    look-up, then one INSERT of the rows whose person has no contact yet. A row in
    neither answer was refused by the unique index: someone else's contact for that
    person appeared meanwhile, for the caller to apply on its own.
    """
    if not rows:
        return {}, set()
    if not is_postgresql(session):
        keys = [ContactKey(r["agent_id"], r["phone_key"], r["email"]) for r in rows]
        existing = contact_ids_by_keys(session, keys)
        new = [row for row, key in zip(rows, keys, strict=True) if key not in existing]
        return existing, insert_contact_rows(session, new)
    params = arrays.as_arrays(rows, _CONTACT_ROW_COLUMNS)
    answered = _FIND_OR_INSERT_CONTACTS.execute(session.connection(), params)
    existing = {}
    written = set()
    for row in answered:
        if row.inserted:
            written.add(row.id)
        else:
            existing[ContactKey(row.agent_id, row.phone_key, row.email)] = row.id
    return existing, written


_SET_PROFILE = (
    update(Contact.__table__)
    .where(Contact.__table__.c.id == bindparam("contact_id"))
    .values(
        search_profile=bindparam("profile", type_=_JSON_OR_NULL),
        updated_at=bindparam("now", type_=Contact.__table__.c.updated_at.type),
    )
)


def set_search_profiles(session: Session, profiles: dict[uuid.UUID, dict[str, Any]]) -> None:
    """Existing contacts' search profiles, by contact ID: one executemany UPDATE."""
    if profiles:
        now = utcnow()
        session.connection().execute(
            _SET_PROFILE,
            [{"contact_id": key, "profile": value, "now": now} for key, value in profiles.items()],
        )


def _fill_defaults(row: Contact | Qualification) -> None:
    """The column defaults a flush would have set: a Core INSERT sets none of them."""
    now = utcnow()
    row.id = row.id or new_id()
    row.created_at = row.created_at or now
    row.updated_at = row.updated_at or now


def _join_as_written(session: Session, row: Contact | Qualification) -> None:
    """A row a Core INSERT has just written, made a persistent object of the session:
    later changes to it are saved as UPDATEs, and nothing is INSERTed again."""
    make_transient_to_detached(row)
    session.add(row)


def insert_leads(session: Session, leads: Sequence[Lead | LeadRow]) -> set[uuid.UUID]:
    """Many new leads in one multi-row INSERT; the IDs of the rows actually written.

    A row that a unique index refuses is left out (ON CONFLICT DO NOTHING), for the caller
    to apply on its own.
    """
    if not leads:
        return set()
    now = utcnow()
    new = [_lead_row(lead, now) for lead in leads]
    if is_postgresql(session):
        params = arrays.as_arrays(new, _LEAD_COLUMNS)
        inserted = _INSERT_LEADS_FROM_ARRAYS.execute(session.connection(), params)
        return set(inserted.scalars())
    return _written(session, Lead.__table__, _LEAD_ROWS, new)


_KEY_COLUMNS = ["agent_id", "listing_key", "phone_key", "email"]
# The open look-up reads each lead's ID too; the archived one only asks whether a key
# has one, so it reads the index alone.
_OPEN_LEAD_KEYS = _by_email(Lead.__table__, [*_KEY_COLUMNS, "id"], OPEN_LEAD)
_ARCHIVED_LEAD_KEYS = _by_email(Lead.__table__, _KEY_COLUMNS, ARCHIVED_LEAD)


def open_lead_ids(session: Session, keys: Sequence[NaturalKey]) -> dict[NaturalKey, uuid.UUID]:
    """The open lead of each of these natural keys that has one, by key: one query,
    through the unique index of open leads (email first), instead of one look-up per key."""
    return {key: row.id for key, row in _keys_found(session, _OPEN_LEAD_KEYS, keys)}


def archived_lead_keys(session: Session, keys: Sequence[NaturalKey]) -> set[NaturalKey]:
    """Which of these natural keys have an archived lead: one query, through the index of
    archived leads (email first), instead of one look-up per key."""
    return {key for key, _ in _keys_found(session, _ARCHIVED_LEAD_KEYS, keys)}


def _keys_found(
    session: Session, statements: dict[str, Any], keys: Sequence[NaturalKey]
) -> list[tuple[NaturalKey, Any]]:
    """The rows found for these keys, each with its key."""
    if not keys:
        return []
    wanted = set(keys)
    emails = sorted({key.email for key in keys})
    # Core, on the session's connection: columns only, nothing for the ORM to do.
    statement = statements[session.get_bind().dialect.name]
    found = session.connection().execute(statement, {"emails": emails})
    keyed = ((NaturalKey(*row[: len(_KEY_COLUMNS)]), row) for row in found)  # key first
    return [(key, row) for key, row in keyed if key in wanted]


def leads_by_external_ids(
    session: Session, credential_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    """The leads of these External_LeadIds that the credential has already used, by ID
    sent: one query."""
    if not external_ids:
        return {}
    found = session.execute(
        select(Lead.external_id, Lead.id).where(
            Lead.credential_id == credential_id, Lead.external_id.in_(sorted(set(external_ids)))
        )
    )
    return {external_id: lead_id for external_id, lead_id in found if external_id is not None}


_LEAD_ROWS_BY_ID = (
    select(*[Lead.__table__.c[key] for key in _LEAD_COLUMNS])
    .where(Lead.__table__.c.id.in_(bindparam("ids", expanding=True)))
    .with_for_update()
)


def lead_rows(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, LeadRow]:
    """These leads as plain rows, by ID, locked until the transaction ends (PostgreSQL;
    a SQLite writer runs alone): for requests that change them together and write them
    back with `update_lead_rows`."""
    if not ids:
        return {}
    found = session.connection().execute(_LEAD_ROWS_BY_ID, {"ids": list(ids)})
    return {row.id: LeadRow(**row._mapping) for row in found}


# What a request can change in a lead it finds by its person (`service.update_together`).
_CHANGED_COLUMNS = (
    "external_id",
    "status",
    "stage",
    "contact_id",
    "contacted_at",
    "archived_at",
    "last_fingerprint",
    "updated_at",
)


def _update_leads_statement(next_seq: Any) -> Any:
    table = Lead.__table__
    values = {key: bindparam(f"new_{key}", type_=table.c[key].type) for key in _CHANGED_COLUMNS}
    values["change_seq"] = next_seq
    return (
        update(table)
        .where(table.c.id == bindparam("lead_id", type_=table.c.id.type))
        .values(values)
    )


# Built once per dialect; the new change number is set by the statement itself, per row
# (see `next_change_seq`).
_UPDATE_LEADS = {
    "postgresql": _update_leads_statement(_POSTGRES_NEXT_SEQ),
    "sqlite": _update_leads_statement(_SQLITE_NEXT_SEQ),
}


def update_lead_rows(session: Session, leads: Sequence[LeadRow]) -> None:
    """Leads read with `lead_rows` and changed in place, written back with one
    executemany UPDATE, each with a new change number for the change feed."""
    if not leads:
        return
    statement = _UPDATE_LEADS[session.get_bind().dialect.name]
    session.connection().execute(
        statement,
        [
            {"lead_id": lead.id, **{f"new_{key}": getattr(lead, key) for key in _CHANGED_COLUMNS}}
            for lead in leads
        ],
    )


def insert(session: Session, row: Base) -> bool:
    """Insert inside a savepoint; False when a unique index says another request won."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


_CONTACT_BY_KEY = select(Contact).where(
    Contact.agent_id == bindparam("agent_id"),
    Contact.phone_key == bindparam("phone_key"),
    Contact.email == bindparam("email"),
)


def contact_by_key(session: Session, key: ContactKey) -> Contact | None:
    params = {"agent_id": key.agent_id, "phone_key": key.phone_key, "email": key.email}
    return session.scalar(_CONTACT_BY_KEY, params)


def contact_by_id(session: Session, contact_id: uuid.UUID) -> Contact | None:
    return session.get(Contact, contact_id)


_QUALIFICATION_OF = select(Qualification).where(Qualification.lead_id == bindparam("lead_id"))


def qualification_for(session: Session, lead_id: uuid.UUID) -> Qualification | None:
    return session.scalar(_QUALIFICATION_OF, {"lead_id": lead_id})


_QUALIFICATION = Qualification.__table__
_QUALIFICATION_COLUMNS = [column.key for column in _QUALIFICATION.columns]
_QUALIFICATION_TYPES = {"attributes": _JSON_OR_NULL}
# PostgreSQL: one array per column, in binary (see db.arrays); SQLite: the driver's
# executemany (see db.rows).
_INSERT_QUALIFICATIONS_FROM_ARRAYS = arrays.BinaryArrays(
    arrays.insert_from_arrays(_QUALIFICATION, _QUALIFICATION_COLUMNS),
    arrays.column_types(_QUALIFICATION, _QUALIFICATION_COLUMNS, _QUALIFICATION_TYPES),
)
_QUALIFICATION_ROWS = RowInsert(_QUALIFICATION, _QUALIFICATION_COLUMNS, types=_QUALIFICATION_TYPES)


def insert_qualification(session: Session, qualification: Qualification) -> None:
    insert_qualifications(session, [qualification])


def insert_qualifications(session: Session, qualifications: Sequence[Qualification]) -> None:
    """New qualifications as one INSERT of complete rows, instead of a flush.

    Fields never set are SQL NULL. The objects then join the session as persistent rows,
    with those fields known to be None, so reading them costs no query.
    """
    if not qualifications:
        return
    rows = []
    for qualification in qualifications:
        _fill_defaults(qualification)
        state = qualification.__dict__
        row = {key: state.get(key) for key in _QUALIFICATION_COLUMNS}
        for key, value in row.items():
            if value is None:
                setattr(qualification, key, None)
        rows.append(row)
    if is_postgresql(session):
        params = arrays.as_arrays(rows, _QUALIFICATION_COLUMNS)
        _INSERT_QUALIFICATIONS_FROM_ARRAYS.execute(session.connection(), params)
    else:
        _QUALIFICATION_ROWS.execute(session.connection(), rows)
    for qualification in qualifications:
        _join_as_written(session, qualification)


_ACTIVITY_ROWS = RowInsert(LeadActivity.__table__, [c.key for c in LeadActivity.__table__.columns])


def add_activity(session: Session, *rows: dict[str, Any]) -> None:
    """Complete activity rows (every column), written in bulk (see `db.rows`: COPY on
    PostgreSQL): they are never read back in the request that writes them.

    Not through `db.arrays` on PostgreSQL: psycopg writes arrays of text, escaping each
    value with a regular expression, and the JSON payloads made that slower than even a
    pipelined executemany.
    """
    _ACTIVITY_ROWS.execute(session.connection(), rows)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def next_change_seq(session: Session) -> Any:
    """A SQL expression for a lead's new change number, evaluated in the writing statement.

    PostgreSQL: the writing transaction's ID, which the feed only passes once every older
    transaction has ended. SQLite: one more than the largest so far, which is commit order
    because SQLite writers never overlap.
    """
    return _POSTGRES_NEXT_SEQ if is_postgresql(session) else _SQLITE_NEXT_SEQ


def visible_to(credential_id: uuid.UUID) -> ColumnElement[bool]:
    """Leads a credential created, or sent a request about."""
    linked = select(LeadLink.lead_id).where(LeadLink.credential_id == credential_id)
    return or_(Lead.credential_id == credential_id, Lead.id.in_(linked))


def link(session: Session, credential_id: uuid.UUID, lead: Lead | LeadRow) -> None:
    """Let a credential that did not create a lead see it from now on."""
    if lead.credential_id == credential_id:
        return
    if session.get(LeadLink, (credential_id, lead.id)) is None:
        insert_checked(session, LeadLink(credential_id=credential_id, lead_id=lead.id))


def visible_lead(session: Session, credential_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
    return session.scalar(select(Lead).where(Lead.id == lead_id, visible_to(credential_id)))


def lead_by_external_id_for(
    session: Session, credential_id: uuid.UUID, external_id: str
) -> Lead | None:
    return session.scalar(
        select(Lead).where(Lead.credential_id == credential_id, Lead.external_id == external_id)
    )


def changed_leads(
    session: Session,
    credential_id: uuid.UUID,
    *,
    after: tuple[int, uuid.UUID] | None,
    updated_since: Any,
    limit: int,
) -> list[Lead]:
    """Leads in change order, after a position, never past a change still being committed."""
    query = select(Lead).where(visible_to(credential_id))
    if after is not None:
        seq, lead_id = after
        query = query.where(
            or_(Lead.change_seq > seq, and_(Lead.change_seq == seq, Lead.id > lead_id))
        )
    if updated_since is not None:
        query = query.where(Lead.updated_at >= updated_since)
    if is_postgresql(session):
        horizon = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        query = query.where(Lead.change_seq < horizon)
    return list(session.scalars(query.order_by(Lead.change_seq, Lead.id).limit(limit)))


def users_by_id(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(set(ids))))}


def contacts_by_id(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Contact]:
    rows = session.scalars(select(Contact).where(Contact.id.in_(set(ids))))
    return {c.id: c for c in rows}


def qualifications_by_lead(
    session: Session, lead_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Qualification]:
    rows = session.scalars(select(Qualification).where(Qualification.lead_id.in_(set(lead_ids))))
    return {q.lead_id: q for q in rows}
