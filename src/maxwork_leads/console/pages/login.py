"""Sign-in and sign-out.

The sign-in form is protected against login CSRF by a double-submit cookie (there is no
session yet to hold a token); every later form carries the session's own token.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maxwork_leads.console.web import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Page,
    audit,
    base_path,
    console_form,
    is_https,
    render,
    services_of,
)
from maxwork_leads.operators import service as operators

router = APIRouter()

FAILED = (
    "Sign-in failed: wrong username or password, or the account is locked for a while "
    "after too many failed attempts."
)


def _safe_next(request: Request, target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    base = base_path(request)
    unsafe = not target or target.startswith("//") or any(c in target for c in "\\\r\n")
    if not unsafe and target.startswith(base + "/"):
        return target
    return base + "/"


def _login_form(
    request: Request, *, error: str | None = None, next_path: str = "", status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code,
        csrf_token=token,
        error=error,
        next_path=next_path,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path=base_path(request) + "/login",
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "") -> Response:
    return _login_form(request, next_path=_safe_next(request, next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_path = _safe_next(request, next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_form(
            request,
            error="The form expired; please sign in again.",
            next_path=next_path,
            status_code=400,
        )
    services = services_of(request)
    with services.database.session_scope() as session:
        signed_in = operators.sign_in(
            session,
            services.settings,
            username=username,
            password=password,
            user_agent=request.headers.get("user-agent"),
        )
    if signed_in is None:
        audit(request, "operator.sign_in_failed", operator=username[:100])
        return _login_form(request, error=FAILED, next_path=next_path, status_code=401)
    audit(request, "operator.sign_in", operator=signed_in.session.username)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path=base_path(request) or "/",
        max_age=services.settings.console_session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=base_path(request) + "/login")
    return response


@router.post("/logout")
def logout(page: Annotated[Page, Depends(console_form)]) -> Response:
    with page.read() as session:
        operators.sign_out(session, page.request.cookies.get(SESSION_COOKIE))
    page.audit("operator.sign_out")
    response = page.redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path=page.base or "/")
    return response
