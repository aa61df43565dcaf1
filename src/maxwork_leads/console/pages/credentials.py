"""The console's credentials section: who may send leads, their traffic, and their tokens.

A new or rotated token is shown once, in the answer to the form that made it; it never goes
into a URL, a redirect or the database (only its hash does), so reloading the list cannot
show it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import IntegrityError

from maxwork_leads.console.queries import credentials as queries
from maxwork_leads.console.web import Page, console_form, console_page
from maxwork_leads.credentials import service
from maxwork_leads.errors import InvalidInput

router = APIRouter()

TEMPLATE = "credentials/list.html"


@dataclass(frozen=True)
class CreateForm:
    """What the operator typed, kept so that a refused form comes back filled in."""

    username: str = ""
    agency: str = ""
    rate_limit: str = ""


@dataclass(frozen=True)
class NewToken:
    username: str
    token: str
    rotated: bool


def _list(
    page: Page,
    status_code: int = 200,
    *,
    new_token: NewToken | None = None,
    error: str | None = None,
    form_error: str | None = None,
    form: CreateForm | None = None,
) -> HTMLResponse:
    with page.read() as session:
        listed = queries.credentials(session)
        agencies, agencies_truncated = queries.agency_choices(session)
    return page.render(
        TEMPLATE,
        status_code,
        credentials=listed,
        agencies=agencies,
        agencies_truncated=agencies_truncated,
        default_rate=page.services.settings.rate_limit_per_second,
        traffic_days=queries.TRAFFIC_DAYS,
        max_credentials=queries.MAX_CREDENTIALS,
        new_token=new_token,
        error=error,
        form_error=form_error,
        form=form or CreateForm(),
    )


def _rate_limit(text: str) -> float | None:
    """The optional rate limit field: empty means the service default."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput("rate limit must be a number of requests per second") from None


@router.get("/credentials", response_class=HTMLResponse)
def credential_list(page: Annotated[Page, Depends(console_page)]) -> Response:
    return _list(page)


@router.post("/credentials", response_class=HTMLResponse)
def create_credential(page: Annotated[Page, Depends(console_form)]) -> Response:
    form = CreateForm(
        username=page.field("username"),
        agency=page.field("agency") or page.field("agency_id").strip(),
        rate_limit=page.field("rate_limit"),
    )
    try:
        with page.read() as session:
            issued = service.create(
                session,
                username=form.username,
                agency_id=form.agency or None,
                rate_limit=_rate_limit(form.rate_limit),
            )
            new_token = NewToken(issued.credential.username, issued.token, rotated=False)
    except InvalidInput as exc:
        return _list(page, 422, form_error=exc.message, form=form)
    except IntegrityError:
        # Another operator created the same username between the check and the insert.
        message = f"a credential for {form.username.strip()!r} already exists"
        return _list(page, 422, form_error=message, form=form)
    page.audit("credential.create", username=new_token.username, agency=form.agency or None)
    return _list(page, new_token=new_token)


@router.post("/credentials/{username:path}/rotate", response_class=HTMLResponse)
def rotate_credential(username: str, page: Annotated[Page, Depends(console_form)]) -> Response:
    try:
        with page.read() as session:
            issued = service.rotate(session, username=username)
            new_token = NewToken(issued.credential.username, issued.token, rotated=True)
    except InvalidInput as exc:
        return _list(page, 404, error=exc.message)
    page.audit("credential.rotate", username=new_token.username)
    return _list(page, new_token=new_token)


@router.post("/credentials/{username:path}/revoke", response_class=HTMLResponse)
def revoke_credential(username: str, page: Annotated[Page, Depends(console_form)]) -> Response:
    try:
        with page.read() as session:
            service.revoke(session, username=username)
    except InvalidInput as exc:
        return _list(page, 404, error=exc.message)
    page.audit("credential.revoke", username=username)
    return page.redirect("/credentials")
