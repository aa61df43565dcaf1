"""The console in a real headless Chromium against the real server (`maxwork-leads serve`)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    PHONE,
    Deployment,
    screenshot,
    sign_in,
)
from tests.factories import lead_body


def _send_lead(deployment: Deployment, **fields: object) -> httpx.Response:
    body = lead_body(Public_Reference=deployment.reference, **fields)
    return httpx.post(
        f"{deployment.url}/listingexport/leads",
        params=deployment.caller.params(),
        headers=deployment.caller.headers(),
        json=body,
        timeout=10,
    )


def test_an_operator_finds_a_lead_sent_through_the_api_and_opens_its_history(
    page: Page, deployment: Deployment
) -> None:
    sent = _send_lead(
        deployment,
        Sender_Name="Beatriz Lopes",
        Sender_Email="beatriz.lopes@example.com",
        External_LeadId="portal-42",
    )
    assert sent.status_code == 201, sent.text
    _send_lead(deployment, Sender_Email="broken")  # a failure for the overview and history

    sign_in(page, deployment.url)
    expect(page.locator("h1")).to_contain_text("Overview")
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "overview")

    page.click("nav.nav >> text=Leads")
    page.fill("input[name=email]", "BEATRIZ.LOPES@example.com")
    page.locator("form.filters button[type=submit]").click()
    screenshot(page, "leads-search")
    row = page.locator("tr", has_text="Beatriz Lopes")
    row.locator("a[href*='/console/leads/']").click()
    expect(page.locator("main")).to_contain_text("beatriz.lopes@example.com")
    expect(page.locator("main")).to_contain_text("portal-42")
    screenshot(page, "lead")

    page.locator("a[href*='/console/history/']").first.click()
    detail = page.locator("main")
    expect(detail).to_contain_text("Beatriz Lopes")
    expect(detail).to_contain_text("$MAXWORK_TOKEN")
    assert deployment.caller.token not in page.content()
    screenshot(page, "history-entry")

    page.click("nav.nav >> text=History")
    expect(page.locator("main")).to_contain_text("validation_error")
    screenshot(page, "history")


def test_revoking_a_credential_in_the_console_makes_the_api_refuse_it(
    page: Page, deployment: Deployment
) -> None:
    assert _send_lead(deployment).status_code == 201
    sign_in(page, deployment.url)
    page.click("nav.nav >> text=Credentials")
    expect(page.locator("main")).to_contain_text(deployment.caller.username)
    screenshot(page, "credentials")

    revoke = f"form[action$='/credentials/{deployment.caller.username}/revoke'] button"
    page.click(revoke)
    expect(page.locator("main")).to_contain_text("revoked")
    assert _send_lead(deployment).status_code == 401


def test_a_wrong_password_keeps_the_operator_out_and_sign_out_ends_the_session(
    page: Page, deployment: Deployment
) -> None:
    page.goto(f"{deployment.url}/console/")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".alert.error")).to_contain_text("Sign-in failed")
    screenshot(page, "login-failed")

    sign_in(page, deployment.url)
    page.click("text=Sign out")
    page.wait_for_url("**/console/login")
    page.goto(f"{deployment.url}/console/credentials")
    expect(page.locator("input[name=password]")).to_be_visible()


def test_every_section_renders_from_this_server_only_and_fits_a_phone(
    browser: Browser, deployment: Deployment
) -> None:
    assert _send_lead(deployment, Lead_Status="Contacted").status_code == 201
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    tab = context.new_page()
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    try:
        sign_in(tab, deployment.url)
        sections = ["", "history", "leads", "contacts", "credentials", "listings"]
        sections += ["agencies", "users"]
        for section in sections:
            response = tab.goto(f"{deployment.url}/console/{section}")
            assert response is not None and response.status == 200, section
            width = tab.evaluate("document.documentElement.scrollWidth")
            viewport = tab.evaluate("window.innerWidth")
            assert width <= viewport, f"/console/{section}: {width}px on a {viewport}px phone"
            screenshot(tab, f"phone-{section or 'overview'}")
    finally:
        context.close()
    assert requested
    assert all(url.startswith(deployment.url) for url in requested), requested
