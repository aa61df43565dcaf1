"""Console fixtures: an operator account and a test client signed in as that operator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from maxwork_leads.console.web import SESSION_COOKIE
from maxwork_leads.db import Database
from maxwork_leads.models import Operator
from maxwork_leads.operators import passwords
from maxwork_leads.operators import service as operators

OPERATOR = "ops"
PASSWORD = "correct horse battery"

_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _HIDDEN_CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str = OPERATOR, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    form = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(form.text)},
        follow_redirects=False,
    )


@dataclass
class Console:
    """A test client signed in to the console, with the session's CSRF token at hand."""

    client: TestClient
    csrf: str

    def get(self, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def, type-arg]
        return self.client.post(
            path, data={"csrf_token": self.csrf, **(data or {})}, follow_redirects=False, **kwargs
        )


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashed once per run: argon2 is slow on purpose, and most tests only need a session."""
    return passwords.hash_password(PASSWORD)


@pytest.fixture
def operator(db: Database, password_hash: str) -> str:
    with db.session_scope() as session:
        session.add(Operator(username=OPERATOR, password_hash=password_hash))
    return OPERATOR


@pytest.fixture
def console(client: TestClient, db: Database, operator: str) -> Iterator[Console]:
    """Signed in through a session opened directly (the sign-in form has its own tests)."""
    with db.session_scope() as session:
        account = operators.by_username(session, operator)
        assert account is not None
        signed_in = operators.open_session(session, db.settings, account)
    client.cookies.set(SESSION_COOKIE, signed_in.token, path="/console")
    yield Console(client, signed_in.session.csrf_token)


class _Cells(HTMLParser):
    """The text of each table body row's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """The text of every table body row of a page, cell by cell, spaces collapsed."""
    parser = _Cells()
    parser.feed(html)
    return parser.rows
