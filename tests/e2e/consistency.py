"""A database-wide consistency checker, in plain SQL that runs on SQLite and PostgreSQL.

`check_database` answers a list of human-readable violations (empty: consistent). It checks
what must hold whatever happened to the server (a crash, a race, a retry): no orphan rows,
no duplicate at-most-one rows, no half-applied lead. It reads only; call it on a quiet
database (no server writing), or accept that it sees one moment of a moving one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text

from maxwork_leads.db import Database
from maxwork_leads.models import Lead

# Rows shown per violated rule; the rest are counted.
MAX_REPORTED = 10
# Values per IN (...) list, well below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


@dataclass(frozen=True)
class Rule:
    """One invariant: a query answering the rows that break it, and how to describe a row."""

    name: str
    sql: str
    describe: str  # str.format template over the row's columns

    def violations(self, rows: Sequence[Any]) -> list[str]:
        shown = [
            f"{self.name}: "
            + self.describe.format(**{k: _show(v) for k, v in row._mapping.items()})
            for row in rows[:MAX_REPORTED]
        ]
        if len(rows) > MAX_REPORTED:
            shown.append(f"{self.name}: ... and {len(rows) - MAX_REPORTED} more")
        return shown


RULES: tuple[Rule, ...] = (
    Rule(
        "lead without activity",
        """SELECT l.id AS lead FROM leads l
           WHERE NOT EXISTS (SELECT 1 FROM lead_activity a WHERE a.lead_id = l.id)""",
        "lead {lead} has no lead_activity row",
    ),
    Rule(
        "orphan activity",
        """SELECT a.id AS item, a.lead_id AS lead FROM lead_activity a
           LEFT JOIN leads l ON l.id = a.lead_id WHERE l.id IS NULL""",
        "lead_activity {item} points to missing lead {lead}",
    ),
    Rule(
        "orphan qualification",
        """SELECT q.id AS item, q.lead_id AS lead FROM qualifications q
           LEFT JOIN leads l ON l.id = q.lead_id WHERE l.id IS NULL""",
        "qualification {item} points to missing lead {lead}",
    ),
    Rule(
        "orphan lead link",
        """SELECT k.credential_id AS credential, k.lead_id AS lead FROM lead_links k
           LEFT JOIN leads l ON l.id = k.lead_id WHERE l.id IS NULL""",
        "lead_links row (credential {credential}) points to missing lead {lead}",
    ),
    Rule(
        "missing contact",
        """SELECT l.id AS lead, l.contact_id AS contact FROM leads l
           LEFT JOIN contacts c ON c.id = l.contact_id
           WHERE l.contact_id IS NOT NULL AND c.id IS NULL""",
        "lead {lead} points to missing contact {contact}",
    ),
    Rule(
        "contacted without contact",
        """SELECT l.id AS lead FROM leads l
           WHERE l.status = 'Contacted' AND l.contact_id IS NULL""",
        "lead {lead} is Contacted but has no contact_id",
    ),
    Rule(
        "duplicate open lead",
        """SELECT agent_id AS agent, listing_key AS listing, phone_key AS phone, email,
                  COUNT(*) AS n
           FROM leads WHERE status <> 'Archived'
           GROUP BY agent_id, listing_key, phone_key, email HAVING COUNT(*) > 1""",
        "{n} open leads for agent {agent}, listing {listing}, phone {phone}, email {email}",
    ),
    Rule(
        "duplicate contact",
        """SELECT agent_id AS agent, phone_key AS phone, email, COUNT(*) AS n
           FROM contacts GROUP BY agent_id, phone_key, email HAVING COUNT(*) > 1""",
        "{n} contacts for agent {agent}, phone {phone}, email {email}",
    ),
    Rule(
        "duplicate external id",
        """SELECT credential_id AS credential, external_id AS external, COUNT(*) AS n
           FROM leads WHERE external_id IS NOT NULL
           GROUP BY credential_id, external_id HAVING COUNT(*) > 1""",
        "{n} leads for credential {credential}, External_LeadId {external}",
    ),
    Rule(
        "qualification outside stage",
        """SELECT q.id AS item, l.id AS lead, l.stage AS stage FROM qualifications q
           JOIN leads l ON l.id = q.lead_id WHERE l.stage <> 'Qualification'""",
        "qualification {item} belongs to lead {lead} in stage {stage}, not Qualification",
    ),
    Rule(
        "history points nowhere",
        """SELECT r.id AS item, r.status_code AS status, r.lead_id AS lead
           FROM integration_requests r LEFT JOIN leads l ON l.id = r.lead_id
           WHERE r.status_code BETWEEN 200 AND 299 AND r.lead_id IS NOT NULL
             AND l.id IS NULL""",
        "integration_requests {item} (status {status}) points to missing lead {lead}",
    ),
)


def check_database(database: Database) -> list[str]:
    """Every violated invariant, one line per offending row (capped per rule); [] if none."""
    violations: list[str] = []
    with database.engine.connect() as conn:
        for rule in RULES:
            rows = conn.execute(text(rule.sql)).fetchall()
            violations.extend(rule.violations(rows))
        conn.rollback()
    return violations


def count_leads_by_id(database: Database, ids: Iterable[str]) -> dict[str, int]:
    """How many leads have each of these `Lead_Id`s (0 for an unknown or malformed one)."""
    wanted = list(dict.fromkeys(ids))
    counts = dict.fromkeys(wanted, 0)
    parsed: dict[uuid.UUID, str] = {}
    for lead_id in wanted:
        try:
            parsed[uuid.UUID(lead_id)] = lead_id
        except ValueError:
            continue
    keys = list(parsed)
    with database.engine.connect() as conn:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            query = select(Lead.id, func.count()).where(Lead.id.in_(chunk)).group_by(Lead.id)
            for lead_id, n in conn.execute(query):
                counts[parsed[lead_id]] = n
        conn.rollback()
    return counts


def count_leads_by_email(database: Database, emails: Iterable[str]) -> dict[str, int]:
    """How many leads (open or archived) each sender email has; emails are stored lower-case."""
    wanted = list(dict.fromkeys(email.strip().lower() for email in emails))
    counts = dict.fromkeys(wanted, 0)
    with database.engine.connect() as conn:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = (
                select(Lead.email, func.count()).where(Lead.email.in_(chunk)).group_by(Lead.email)
            )
            for email, n in conn.execute(query):
                counts[email] = n
        conn.rollback()
    return counts


def _show(value: Any) -> str:
    """A row value as a person reads it: UUIDs dashed on both backends (SQLite stores hex)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) == 32:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    return str(value)
