"""The console's leads pages: the search, its pages, and one lead's routing and timeline."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from maxwork_leads.console.pages import leads as leads_page
from maxwork_leads.db import Database
from maxwork_leads.directory import service as directory
from maxwork_leads.models import IntegrationRequest, Listing, User
from tests.api.helpers import post_lead
from tests.console.conftest import Console
from tests.factories import World, lead_body, make_listing, make_world

LEAD_LINK = re.compile(r'href="/console/leads/([0-9a-f-]{36})"')
ENTRY = re.compile(r'<li class="(activity|request)" id="entry-([0-9a-f-]{36})"')
OLDER = re.compile(r'href="(/console/leads[^"]*)">Older')
NEWER = re.compile(r'href="(/console/leads[^"]*)">&larr; Newer')


def lead_ids(html: str) -> list[str]:
    """The leads a page links to, in page order."""
    return list(dict.fromkeys(LEAD_LINK.findall(html)))


def unescape(url: str) -> str:
    return url.replace("&amp;", "&")


def named_user(db: Database, world: World, username: str, name: str) -> User:
    with db.session_scope() as session:
        return directory.add_user(session, agency_id=world.agency.id, username=username, name=name)


def send(console: Console, world: World, listing: Listing | None = None, **fields: Any) -> Any:
    reference = listing.public_reference if listing else world.listing.public_reference
    answer = post_lead(
        console.client, world.caller, lead_body(Public_Reference=reference, **fields)
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@dataclass(frozen=True)
class Sent:
    """Five leads, oldest first; `ana` was later marked Contacted and has a contact."""

    world: World
    other_listing: Listing
    rita: User
    ana: str
    ana_contact: str
    bruno: str
    carla: str
    dora: str
    eva: str

    def all_newest_first(self) -> list[str]:
        return [self.eva, self.dora, self.carla, self.bruno, self.ana]


@pytest.fixture
def sent(console: Console, db: Database) -> Sent:
    world = make_world(db)
    rita = named_user(db, world, "rita", "Rita Marques")
    lopes = named_user(db, world, "rita.lopes", "Rita Lopes")
    other = make_listing(db, agency=world.agency, agent=lopes)
    ana = send(console, world, Sender_Email="Ana.Silva@Example.com")
    contacted = send(
        console, world, Sender_Phone="912 345 678", Lead_Status="Contacted", Message="Called"
    )
    assert contacted["Lead_Id"] == ana["Lead_Id"]
    bruno = send(
        console,
        world,
        Sender_Name="Bruno Costa",
        Sender_Email="bruno.costa@example.com",
        Sender_Phone="+351 913 000 111",
        Price_Min=150000,
        Price_Max=250000,
        Room_Min=2,
        LeadType_Id="Buyer",
        PropertyType_Id=1,
        Listing_Attributes=["Lift", "Balcony"],
    )
    carla = send(
        console,
        world,
        Sender_Name="Carla Dias",
        Sender_Email="carla.dias@example.com",
        Sender_Phone="+351 914 111 222",
        Internal_UserId=str(rita.id),
    )
    dora = send(
        console,
        world,
        other,
        Sender_Name="Dora Reis",
        Sender_Email="dora.reis@example.com",
        Sender_Phone="+351 915 222 333",
    )
    eva = post_lead(
        console.client,
        world.caller,
        lead_body(
            Public_Reference="None",
            Sender_Name="Eva Nunes",
            Sender_Email="eva.nunes@example.com",
            Sender_Phone="+351 916 333 444",
        ),
    ).json()
    return Sent(
        world,
        other,
        rita,
        ana["Lead_Id"],
        contacted["Contact_Id"],
        bruno["Lead_Id"],
        carla["Lead_Id"],
        dora["Lead_Id"],
        eva["Lead_Id"],
    )


def search(console: Console, **params: str) -> list[str]:
    answer = console.get("/console/leads", params=params)
    assert answer.status_code == 200, answer.text
    return lead_ids(answer.text)


# The search


def test_without_filters_every_lead_is_listed_newest_first(console: Console, sent: Sent) -> None:
    assert search(console) == sent.all_newest_first()


def test_email_finds_the_lead_in_any_letter_case(console: Console, sent: Sent) -> None:
    assert search(console, email="  ANA.SILVA@example.COM ") == [sent.ana]


@pytest.mark.parametrize("phone", ["912345678", "+351 912 345 678", "00351 912-345-678"])
def test_phone_finds_the_lead_in_any_spelling(console: Console, sent: Sent, phone: str) -> None:
    assert search(console, phone=phone) == [sent.ana]


def test_listing_reference_finds_only_that_listings_leads(console: Console, sent: Sent) -> None:
    assert search(console, listing=sent.other_listing.public_reference) == [sent.dora]
    assert search(console, listing=sent.world.listing.public_reference) == [
        sent.carla,
        sent.bruno,
        sent.ana,
    ]


def test_listing_reference_none_finds_manual_leads(console: Console, sent: Sent) -> None:
    assert search(console, listing="None") == [sent.eva]


def test_an_unknown_listing_reference_says_so_and_lists_nothing(
    console: Console, sent: Sent
) -> None:
    answer = console.get("/console/leads", params={"listing": "NO-SUCH-REF"})
    assert answer.status_code == 200
    assert "No listing has the reference &#39;NO-SUCH-REF&#39;" in answer.text
    assert lead_ids(answer.text) == []


def test_an_exact_username_finds_only_that_agents_leads(console: Console, sent: Sent) -> None:
    # "rita" is also part of "rita.lopes", whose lead must not come along.
    assert search(console, agent="rita") == [sent.carla]


def test_part_of_an_agents_name_finds_their_leads(console: Console, sent: Sent) -> None:
    assert search(console, agent="LOPES") == [sent.dora]


def test_an_agent_matching_several_users_lists_them_all(console: Console, sent: Sent) -> None:
    answer = console.get("/console/leads", params={"agent": " RIT "})
    assert lead_ids(answer.text) == [sent.dora, sent.carla]
    assert "matches 2 users: rita, rita.lopes" in answer.text


def test_an_agent_matching_nobody_says_so(console: Console, sent: Sent) -> None:
    answer = console.get("/console/leads", params={"agent": "nobody-at-all"})
    assert answer.status_code == 200
    assert "No user has the username or a name containing" in answer.text
    assert lead_ids(answer.text) == []


def test_status_finds_only_leads_in_that_status(console: Console, sent: Sent) -> None:
    assert search(console, status="Contacted") == [sent.ana]
    assert search(console, status="any") == sent.all_newest_first()


def test_part_of_the_name_finds_the_lead_in_any_case(console: Console, sent: Sent) -> None:
    assert search(console, name="SILV") == [sent.ana]


def test_a_name_with_like_wildcards_matches_them_literally(console: Console, sent: Sent) -> None:
    assert search(console, name="%") == []


def test_filters_combine(console: Console, sent: Sent) -> None:
    listing = sent.world.listing.public_reference
    assert search(console, listing=listing, status="New") == [sent.carla, sent.bruno]
    assert search(console, listing=listing, name="costa") == [sent.bruno]


def test_a_row_shows_the_agent_status_stage_and_integrator(console: Console, sent: Sent) -> None:
    html = console.get("/console/leads", params={"email": "bruno.costa@example.com"}).text
    assert "+351913000111" in html
    assert sent.world.agent.username in html
    assert '<span class="badge status-new">New</span>' in html
    assert "<td>Qualification</td>" in html
    assert f"/console/history?integrator={sent.world.caller.username}" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "is not an email address"),
        ("phone", "12", "is not a phone number"),
        ("status", "Pending", "is not one of New, Contacted, Archived"),
        ("before", "not-an-id", "is not an ID"),
        ("name", "x" * 301, "longer than 300 characters"),
    ],
)
def test_bad_input_is_a_visible_message_not_a_422(
    console: Console, sent: Sent, field: str, value: str, message: str
) -> None:
    answer = console.get("/console/leads", params={field: value})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert '<p class="alert error" role="alert">' in answer.text
    assert message in answer.text
    assert lead_ids(answer.text) == []


# Pages


def walk(console: Console, start: str, link: re.Pattern[str]) -> list[list[str]]:
    """Every page from `start`, following the `link` (Older or Newer) to the end."""
    pages = []
    url: str | None = start
    while url is not None:
        html = console.get(url).text
        pages.append(lead_ids(html))
        found = link.search(html)
        url = unescape(found.group(1)) if found else None
        assert len(pages) < 20, "pagination does not end"
    return pages


def test_pages_list_every_lead_once(
    console: Console, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leads_page, "PAGE_SIZE", 2)
    pages = walk(console, "/console/leads", OLDER)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [lead for page in pages for lead in page] == sent.all_newest_first()


def test_newer_links_lead_back_to_the_first_page(
    console: Console, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leads_page, "PAGE_SIZE", 2)
    last = f"/console/leads?before={sent.bruno}"
    pages = walk(console, last, NEWER)
    assert pages == [[sent.ana], [sent.carla, sent.bruno], [sent.eva, sent.dora]]


def test_pages_keep_the_filters(
    console: Console, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leads_page, "PAGE_SIZE", 2)
    start = f"/console/leads?listing={sent.world.listing.public_reference}"
    pages = walk(console, start, OLDER)
    assert pages == [[sent.carla, sent.bruno], [sent.ana]]


# One lead


def lead_page(console: Console, lead_id: str) -> str:
    answer = console.get(f"/console/leads/{lead_id}")
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_lead_page_shows_the_enquiry(console: Console, sent: Sent) -> None:
    html = lead_page(console, sent.ana)
    assert "ana.silva@example.com" in html
    assert "+351 912 345 678" in html  # as first sent
    assert "+351912345678" in html  # E.164
    assert "Is it still available?" in html
    assert sent.world.listing.public_reference in html
    assert '<span class="badge status-contacted">Contacted</span>' in html


def test_a_lead_routed_by_internal_user_id_says_so(console: Console, sent: Sent) -> None:
    html = lead_page(console, sent.carla)
    assert "The integrator named this user with Internal_UserId" in html
    assert "Rita Marques" in html
    assert "/console/users?q=rita" in html
    assert sent.world.agency.name in html


def test_a_lead_routed_to_the_listing_agent_says_so(console: Console, sent: Sent) -> None:
    html = lead_page(console, sent.ana)
    assert "No Internal_UserId was sent, so the lead went to the agent responsible" in html
    assert f"/console/users?q={sent.world.agent.username}" in html


def test_a_manual_lead_routed_to_the_lead_manager_says_so(console: Console, sent: Sent) -> None:
    html = lead_page(console, sent.eva)
    assert "it is a manual lead" in html
    assert "first active lead manager" in html
    assert f"/console/users?q={sent.world.manager.username}" in html


def test_the_lead_page_shows_the_qualification(console: Console, sent: Sent) -> None:
    html = lead_page(console, sent.bruno)
    assert "150,000 to 250,000" in html
    assert "from 2" in html  # rooms
    assert "Buyer" in html
    assert "Apartment" in html
    assert "Lift, Balcony" in html


def test_the_lead_page_links_to_its_contact(console: Console, sent: Sent) -> None:
    assert f'href="/console/contacts/{sent.ana_contact}"' in lead_page(console, sent.ana)
    assert "No contact yet" in lead_page(console, sent.bruno)


def request_ids(db: Database, lead_id: str) -> list[str]:
    with db.session_scope() as session:
        rows = session.scalars(
            select(IntegrationRequest.id).where(IntegrationRequest.lead_id == uuid.UUID(lead_id))
        )
        return [str(row) for row in rows]


def entries(html: str) -> list[tuple[str, str]]:
    return ENTRY.findall(html)


def test_the_timeline_has_an_entry_per_change_and_a_link_per_request(
    console: Console, sent: Sent, db: Database
) -> None:
    html = lead_page(console, sent.ana)
    kinds = [kind for kind, _ in entries(html)]
    assert kinds == ["activity", "request", "activity", "request"]
    assert "Status changed" in html
    assert "status: New → Contacted" in html
    assert "<strong>Created</strong>" in html
    requests = request_ids(db, sent.ana)
    assert len(requests) == 2
    for request_id in requests:
        assert f'href="/console/history/{request_id}"' in html


def test_a_repeated_request_adds_a_request_but_no_change(
    console: Console, sent: Sent, db: Database
) -> None:
    again = send(
        console,
        sent.world,
        Sender_Phone="912 345 678",
        Lead_Status="Contacted",
        Message="Called",
    )
    assert again["Operation"] == "unchanged"
    kinds = [kind for kind, _ in entries(lead_page(console, sent.ana))]
    assert kinds.count("activity") == 2
    assert kinds.count("request") == 3


def test_the_timeline_pages_show_every_entry_once(
    console: Console, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = entries(lead_page(console, sent.ana))
    monkeypatch.setattr(leads_page, "PAGE_SIZE", 1)
    seen = []
    url: str | None = f"/console/leads/{sent.ana}"
    while url is not None:
        html = console.get(url).text
        seen += entries(html)
        found = OLDER.search(html)
        url = unescape(found.group(1)) if found else None
        assert len(seen) < 20
    assert seen == everything


@pytest.mark.parametrize(
    "lead_id", ["01900000-0000-7000-8000-000000000000", "not-a-lead", "1' OR '1'='1"]
)
def test_an_unknown_lead_is_a_404_page(console: Console, sent: Sent, lead_id: str) -> None:
    answer = console.get(f"/console/leads/{lead_id}")
    assert answer.status_code == 404
    assert "No lead has the ID" in answer.text
    assert answer.headers["content-type"].startswith("text/html")
