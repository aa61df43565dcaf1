"""The console's contacts pages: the search, its pages, and one contact with its leads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from maxwork_leads.console.pages import contacts as contacts_page
from maxwork_leads.db import Database
from maxwork_leads.models import Listing
from tests.api.helpers import post_lead
from tests.console.conftest import Console
from tests.factories import World, lead_body, make_listing, make_user, make_world

CONTACT_LINK = re.compile(r'href="/console/contacts/([0-9a-f-]{36})"')
LEAD_LINK = re.compile(r'href="/console/leads/([0-9a-f-]{36})"')
OLDER = re.compile(r'href="(/console/contacts[^"]*)">Older')


def links(pattern: re.Pattern[str], html: str) -> list[str]:
    return list(dict.fromkeys(pattern.findall(html)))


def send(console: Console, world: World, listing: Listing, **fields: Any) -> Any:
    body = lead_body(Public_Reference=listing.public_reference, **fields)
    answer = post_lead(console.client, world.caller, body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@dataclass(frozen=True)
class People:
    """Ana has two leads with one agent (one contact) and one with another agent."""

    world: World
    ana: str
    ana_leads: tuple[str, str]
    ana_elsewhere: str
    ana_elsewhere_lead: str
    bruno: str
    carla_lead: str


@pytest.fixture
def people(console: Console, db: Database) -> People:
    world = make_world(db)
    second = make_listing(db, agency=world.agency, agent=world.agent)
    colleague = make_user(db, agency=world.agency, username="colleague")
    theirs = make_listing(db, agency=world.agency, agent=colleague)
    first = send(console, world, world.listing, Lead_Status="Contacted")
    again = send(
        console, world, second, Lead_Status="Contacted", Sender_Email="ANA.SILVA@example.com"
    )
    elsewhere = send(console, world, theirs, Lead_Status="Contacted")
    bruno = send(
        console,
        world,
        world.listing,
        Lead_Status="Contacted",
        Sender_Name="Bruno Costa",
        Sender_Email="bruno.costa@example.com",
        Sender_Phone="+351 913 000 111",
        Price_Min=150000,
        Price_Max=250000,
        PropertyType_Id="House",
    )
    carla = send(
        console,
        world,
        world.listing,
        Sender_Name="Carla Dias",
        Sender_Email="carla.dias@example.com",
        Sender_Phone="+351 914 111 222",
    )
    assert first["Contact_Id"] == again["Contact_Id"] != elsewhere["Contact_Id"]
    assert carla["Contact_Id"] is None
    return People(
        world,
        first["Contact_Id"],
        (first["Lead_Id"], again["Lead_Id"]),
        elsewhere["Contact_Id"],
        elsewhere["Lead_Id"],
        bruno["Contact_Id"],
        carla["Lead_Id"],
    )


def search(console: Console, **params: str) -> list[str]:
    answer = console.get("/console/contacts", params=params)
    assert answer.status_code == 200, answer.text
    return links(CONTACT_LINK, answer.text)


def test_without_filters_every_contact_is_listed_newest_first(
    console: Console, people: People
) -> None:
    assert search(console) == [people.bruno, people.ana_elsewhere, people.ana]


def test_email_finds_the_persons_contacts_with_every_agent(
    console: Console, people: People
) -> None:
    assert search(console, email="Ana.Silva@EXAMPLE.com") == [people.ana_elsewhere, people.ana]


@pytest.mark.parametrize("phone", ["913000111", "+351913000111", "00351 913 000 111"])
def test_phone_finds_the_contact_in_any_spelling(
    console: Console, people: People, phone: str
) -> None:
    assert search(console, phone=phone) == [people.bruno]


def test_part_of_the_name_finds_the_contact_in_any_case(console: Console, people: People) -> None:
    assert search(console, name="cOsTa") == [people.bruno]


def test_filters_combine(console: Console, people: People) -> None:
    assert search(console, email="ana.silva@example.com", name="costa") == []
    assert search(console, phone="912 345 678", name="silva") == [people.ana_elsewhere, people.ana]


def test_a_row_shows_the_agent_and_how_many_leads(console: Console, people: People) -> None:
    html = console.get("/console/contacts", params={"email": "ana.silva@example.com"}).text
    assert "/console/users?q=colleague" in html
    assert f"/console/users?q={people.world.agent.username}" in html
    assert '<td class="num">2</td>' in html
    assert '<td class="num">1</td>' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ana at example", "is not an email address"),
        ("phone", "123", "is not a phone number"),
        ("before", "zzz", "is not an ID"),
    ],
)
def test_bad_input_is_a_visible_message_not_a_422(
    console: Console, people: People, field: str, value: str, message: str
) -> None:
    answer = console.get("/console/contacts", params={field: value})
    assert answer.status_code == 400
    assert '<p class="alert error" role="alert">' in answer.text
    assert message in answer.text
    assert links(CONTACT_LINK, answer.text) == []


def test_pages_list_every_contact_once(
    console: Console, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_page, "PAGE_SIZE", 2)
    pages = []
    url: str | None = "/console/contacts"
    while url is not None:
        html = console.get(url).text
        pages.append(links(CONTACT_LINK, html))
        found = OLDER.search(html)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert len(pages) < 10
    assert pages == [[people.bruno, people.ana_elsewhere], [people.ana]]


def contact_page(console: Console, contact_id: str) -> str:
    answer = console.get(f"/console/contacts/{contact_id}")
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_contact_page_lists_its_leads_newest_first_and_no_others(
    console: Console, people: People
) -> None:
    first, second = people.ana_leads
    assert links(LEAD_LINK, contact_page(console, people.ana)) == [second, first]
    assert links(LEAD_LINK, contact_page(console, people.ana_elsewhere)) == [
        people.ana_elsewhere_lead
    ]


def test_the_contact_page_pages_its_leads(
    console: Console, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_page, "PAGE_SIZE", 1)
    first, second = people.ana_leads
    html = contact_page(console, people.ana)
    assert links(LEAD_LINK, html) == [second]
    older = OLDER.search(html)
    assert older is not None
    assert links(LEAD_LINK, console.get(older.group(1)).text) == [first]


def test_the_contact_page_shows_the_person_agent_and_search_profile(
    console: Console, people: People
) -> None:
    html = contact_page(console, people.bruno)
    assert "Bruno Costa" in html
    assert "bruno.costa@example.com" in html
    assert "+351913000111" in html
    assert f"/console/users?q={people.world.agent.username}" in html
    assert people.world.agency.name in html
    assert "150,000 to 250,000" in html
    assert "House" in html


def test_a_contact_without_qualification_has_no_search_profile(
    console: Console, people: People
) -> None:
    assert "No search profile" in contact_page(console, people.ana)


@pytest.mark.parametrize("contact_id", ["01900000-0000-7000-8000-000000000000", "nope"])
def test_an_unknown_contact_is_a_404_page(
    console: Console, people: People, contact_id: str
) -> None:
    answer = console.get(f"/console/contacts/{contact_id}")
    assert answer.status_code == 404
    assert "No contact has the ID" in answer.text


def test_a_lead_id_is_not_a_contact(console: Console, people: People) -> None:
    assert console.get(f"/console/contacts/{people.carla_lead}").status_code == 404
