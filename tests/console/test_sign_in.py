"""Signing in and out of the console: cookies, CSRF, lock-out and who may enter."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from maxwork_leads.db import Database
from tests.console.conftest import OPERATOR, PASSWORD, Console, csrf_token, sign_in


def test_a_page_without_a_session_sends_the_browser_to_sign_in(client: TestClient) -> None:
    answer = client.get("/console/history", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/history"


def test_signing_in_sets_an_httponly_samesite_session_cookie(
    client: TestClient, operator: str
) -> None:
    answer = sign_in(client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"
    cookie = next(
        value
        for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith("maxwork_console=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test


def test_the_session_cookie_is_secure_when_served_over_https(db: Database, operator: str) -> None:
    from maxwork_leads.app import create_app

    with TestClient(create_app(db.settings), base_url="https://console.example") as client:
        answer = sign_in(client)
    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303
    assert "maxwork_console=" in cookie
    assert "Secure" in cookie


def test_sign_in_returns_to_the_page_asked_for(client: TestClient, operator: str) -> None:
    form = client.get("/console/login?next=/console/credentials")
    answer = client.post(
        "/console/login",
        data={
            "username": OPERATOR,
            "password": PASSWORD,
            "csrf_token": csrf_token(form.text),
            "next": "/console/credentials",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/credentials"


def test_sign_in_never_redirects_off_the_console(client: TestClient, operator: str) -> None:
    form = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={
            "username": OPERATOR,
            "password": PASSWORD,
            "csrf_token": csrf_token(form.text),
            "next": "//evil.example/console/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/"


def test_a_wrong_password_is_refused_with_the_form_again(client: TestClient, operator: str) -> None:
    answer = sign_in(client, password="not the password")
    assert answer.status_code == 401
    assert "Sign-in failed" in answer.text
    assert "maxwork_console=" not in answer.headers.get("set-cookie", "")


def test_an_unknown_operator_gets_the_same_answer_as_a_wrong_password(
    client: TestClient, operator: str
) -> None:
    unknown = sign_in(client, username="nobody")
    wrong = sign_in(client, password="not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert "Sign-in failed" in unknown.text


def test_an_integrator_token_does_not_open_the_console(client: TestClient, db: Database) -> None:
    from maxwork_leads.credentials import service as credentials

    with db.session_scope() as session:
        issued = credentials.create(session, username="portal")
    assert sign_in(client, username="portal", password=issued.token).status_code == 401
    answer = client.get(
        "/console/",
        headers={"Authorization": f"Bearer {issued.token}", "user": "portal"},
        params={"token": issued.token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_sign_in_without_the_forms_csrf_cookie_is_refused(
    client: TestClient, operator: str
) -> None:
    answer = client.post(
        "/console/login",
        data={"username": OPERATOR, "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 400
    assert "maxwork_console=" not in answer.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, operator: str, db: Database
) -> None:
    for _ in range(db.settings.console_max_failed_logins):
        assert sign_in(client, password="not the password").status_code == 401
    assert sign_in(client).status_code == 401


def test_fewer_failures_than_the_limit_do_not_lock(
    client: TestClient, operator: str, db: Database
) -> None:
    for _ in range(db.settings.console_max_failed_logins - 1):
        sign_in(client, password="not the password")
    assert sign_in(client).status_code == 303


def test_a_form_without_the_sessions_csrf_token_is_refused(console: Console) -> None:
    answer = console.client.post(
        "/console/logout", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert console.get("/console/history", follow_redirects=False).status_code == 200


def test_signing_out_ends_the_session(console: Console) -> None:
    cookie = console.client.cookies.get("maxwork_console")
    answer = console.post("/console/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login"
    console.client.cookies.set("maxwork_console", cookie or "")
    assert console.get("/console/history", follow_redirects=False).status_code == 303


def test_console_pages_carry_security_headers(client: TestClient) -> None:
    answer = client.get("/console/login")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"


def test_sign_ins_are_audited_and_the_password_never_logged(
    client: TestClient, operator: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="maxwork_leads.console.audit")
    sign_in(client, password="wrong password here")
    sign_in(client)
    actions = [json.loads(r.getMessage())["action"] for r in caplog.records]
    assert actions == ["operator.sign_in_failed", "operator.sign_in"]
    assert "wrong password here" not in caplog.text
    assert PASSWORD not in caplog.text
