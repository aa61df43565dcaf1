"""A real headless Chromium (Debian's package, driven by Playwright) against the real server.

Chromium comes from `make browser`; without it these tests skip, unless
MAXWORK_REQUIRE_BROWSER=1 (as in CI), where they fail. Screenshots of the pages go to
`test-artifacts/console/` (or MAXWORK_ARTIFACTS_DIR) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from maxwork_leads.db import Database
from maxwork_leads.db.migrate import upgrade
from maxwork_leads.operators import service as operators
from maxwork_leads.settings import Settings
from tests.e2e.server import Server, running_server
from tests.factories import Caller, make_agency, make_credential, make_listing, make_user

REQUIRE_BROWSER = os.environ.get("MAXWORK_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(
    os.environ.get("MAXWORK_ARTIFACTS_DIR", Path(__file__).parents[2] / "test-artifacts")
)
OPERATOR = "ops"
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def _chromium() -> str:
    path = os.environ.get("MAXWORK_CHROMIUM") or shutil.which("chromium")
    if not path:
        reason = "Chromium is not installed (make browser)"
        if REQUIRE_BROWSER:
            pytest.fail(reason + " (MAXWORK_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@dataclass(frozen=True)
class Deployment:
    """A running server on its own database, with one listing, one integrator, one operator."""

    server: Server
    database: Database
    caller: Caller
    reference: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'console.db'}")
    upgrade(settings)
    database = Database(settings)
    agency = make_agency(database, name="Atlantic Homes")
    agent = make_user(database, agency=agency, username="ana.agent")
    listing = make_listing(database, agency=agency, agent=agent, reference="LIS-1001")
    caller = make_credential(database, username="portal-one")
    with database.session_scope() as session:
        operators.add(session, username=OPERATOR, password=PASSWORD)
    try:
        with running_server(
            settings.database_url, env={"MAXWORK_RATE_LIMIT_PER_SECOND": "0"}
        ) as server:
            yield Deployment(server, database, caller, listing.public_reference)
    finally:
        database.dispose()


@pytest.fixture
def page(browser: Browser, deployment: Deployment) -> Iterator[Page]:
    """A desktop-sized tab that records every request it makes."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.requested = requested  # type: ignore[attr-defined]
    yield tab
    context.close()


def screenshot(tab: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    target = ARTIFACTS / "console" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(target), full_page=True)
    return target


def sign_in(tab: Page, base_url: str) -> None:
    tab.goto(f"{base_url}/console/")
    tab.fill("input[name=username]", OPERATOR)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base_url}/console/")
