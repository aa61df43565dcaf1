"""The listings, agencies and users pages: searches, pages, and the listing import."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

import httpx
import pytest

from maxwork_leads.console.pages import listings as listing_pages
from maxwork_leads.console.queries import directory as queries
from maxwork_leads.db import Database
from maxwork_leads.directory import service as directory
from maxwork_leads.models import Agency, Listing, User
from tests.api.helpers import post_lead
from tests.console.conftest import Console, table_rows
from tests.factories import lead_body, make_agency, make_credential, make_listing, make_user

T = TypeVar("T")

_OLDER = re.compile(r'<a href="([^"]+)">Older')
_NEWER = re.compile(r'<a href="([^"]+)">&larr; Newer')


def rows(answer: httpx.Response) -> list[list[str]]:
    return table_rows(answer.text)


def first_column(answer: httpx.Response) -> list[str]:
    return [row[0] for row in rows(answer)]


def follow(console: Console, answer: httpx.Response, link: re.Pattern[str]) -> httpx.Response:
    found = link.search(answer.text)
    assert found, "the page has no such link"
    return console.get(html.unescape(found.group(1)))


def walk(console: Console, path: str, link: re.Pattern[str]) -> list[list[str]]:
    """The first column of every page, following one pager link to the end."""
    answer = console.get(path)
    pages = [first_column(answer)]
    while link.search(answer.text):
        answer = follow(console, answer, link)
        assert answer.status_code == 200, answer.text
        pages.append(first_column(answer))
    return pages


@pytest.fixture
def agency(db: Database) -> Agency:
    return make_agency(db, name="Lisbon Homes")


@pytest.fixture
def agent(db: Database, agency: Agency) -> User:
    return make_user(db, agency=agency, username="ana")


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    return 2


def add_listing(db: Database, agency: Agency, agent: User, reference: str, title: str) -> Listing:
    with db.session_scope() as session:
        listing, _ = directory.save_listing(
            session, reference=reference, agency_id=agency.id, agent=agent.id, title=title
        )
        return listing


def newest_first(items: Sequence[T], name: Callable[[T], str]) -> list[str]:
    """Names in ID order, newest first: IDs made within one millisecond are not in call order."""
    return [name(item) for item in sorted(items, key=lambda item: item.id, reverse=True)]  # type: ignore[attr-defined]


def in_pages(names: list[str], size: int) -> list[list[str]]:
    return [names[start : start + size] for start in range(0, len(names), size)]


# Listings: search


def test_listings_are_found_by_reference_prefix(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    for reference in ("ABC-1", "ABC-2", "XYZ-1", "AB"):
        make_listing(db, agency=agency, agent=agent, reference=reference)

    answer = console.get("/console/listings", params={"q": "ABC"})

    assert answer.status_code == 200
    assert sorted(first_column(answer)) == ["ABC-1", "ABC-2"]


def test_listings_are_found_by_words_in_the_title_in_any_case(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    add_listing(db, agency, agent, "R-1", "Sunny flat in Lisbon")
    add_listing(db, agency, agent, "R-2", "House in Porto")

    answer = console.get("/console/listings", params={"q": "lisbon"})

    assert first_column(answer) == ["R-1"]


def test_search_wildcards_are_taken_literally(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    add_listing(db, agency, agent, "A_1", "Plain title")
    add_listing(db, agency, agent, "AB1", "Another title")
    add_listing(db, agency, agent, "C-1", "100% renovated")
    add_listing(db, agency, agent, "C-2", "100 m2")

    assert first_column(console.get("/console/listings", params={"q": "A_"})) == ["A_1"]
    assert first_column(console.get("/console/listings", params={"q": "0%"})) == ["C-1"]


def test_a_listing_row_shows_its_agency_agent_and_lead_count(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    add_listing(db, agency, agent, "R-1", "Sunny flat")
    caller = make_credential(db, agency=agency)
    assert post_lead(console.client, caller, lead_body(Public_Reference="R-1")).status_code == 201

    [row] = rows(console.get("/console/listings", params={"q": "R-1"}))

    assert row[:5] == ["R-1", "Sunny flat", "Lisbon Homes", "Test User ana", "1"]


def test_listings_can_be_narrowed_to_one_agency(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    other = make_agency(db)
    make_listing(db, agency=agency, agent=agent, reference="MINE")
    make_listing(db, agency=other, agent=make_user(db, agency=other), reference="THEIRS")

    answer = console.get("/console/listings", params={"agency": str(agency.id)})

    assert first_column(answer) == ["MINE"]
    assert "Listings of Lisbon Homes" in answer.text


@pytest.mark.parametrize(
    "params",
    [{"before": "not-an-id"}, {"agency": "nope"}, {"q": "x" * 201}, {"q": "a\x00b"}],
)
def test_a_bad_query_parameter_is_a_message_in_the_page(
    console: Console, params: dict[str, str]
) -> None:
    answer = console.get("/console/listings", params=params)

    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert 'class="alert error"' in answer.text


def test_listing_pages_show_each_listing_once_newest_first(
    console: Console, db: Database, agency: Agency, agent: User, small_pages: int
) -> None:
    made = [make_listing(db, agency=agency, agent=agent, reference=f"P-{n}") for n in range(5)]

    pages = walk(console, "/console/listings", _OLDER)

    assert pages == in_pages(newest_first(made, lambda listing: listing.public_reference), 2)


def test_newer_links_walk_back_to_the_first_page(
    console: Console, db: Database, agency: Agency, agent: User, small_pages: int
) -> None:
    made = [make_listing(db, agency=agency, agent=agent, reference=f"P-{n}") for n in range(5)]
    expected = in_pages(newest_first(made, lambda listing: listing.public_reference), 2)
    oldest = follow(console, follow(console, console.get("/console/listings"), _OLDER), _OLDER)

    middle = follow(console, oldest, _NEWER)
    newest = follow(console, middle, _NEWER)

    assert [first_column(oldest), first_column(middle), first_column(newest)] == expected[::-1]
    assert _NEWER.search(newest.text) is None


def test_a_search_matching_both_ways_pages_each_listing_once(
    console: Console, db: Database, agency: Agency, agent: User, small_pages: int
) -> None:
    matching = [
        add_listing(db, agency, agent, "SEA-1", "Flat"),
        add_listing(db, agency, agent, "X-1", "Sea view"),
        add_listing(db, agency, agent, "SEA-2", "Sea and sun"),
        add_listing(db, agency, agent, "X-3", "Near the sea"),
    ]
    add_listing(db, agency, agent, "X-2", "Inland")

    pages = walk(console, "/console/listings?q=SEA", _OLDER)

    assert pages == in_pages(newest_first(matching, lambda listing: listing.public_reference), 2)


# Listings: import


def upload(console: Console, name: str, content: bytes) -> httpx.Response:
    return console.post("/console/listings/import", files={"file": (name, content)})


def test_importing_a_csv_creates_the_listings_and_reports_the_counts(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    make_listing(db, agency=agency, agent=agent, reference="OLD-1")
    content = (
        "reference,agency,agent,title\n"
        f"NEW-1,{agency.id},ana,First\n"
        f"NEW-2,{agency.id},{agent.id},Second\n"
        f"OLD-1,{agency.id},ana,Now with a title\n"
    ).encode()

    answer = upload(console, "listings.csv", content)

    assert answer.status_code == 200
    assert "2 created, 1 updated, 0 rejected" in answer.text
    found = rows(console.get("/console/listings", params={"q": "NEW"}))
    assert sorted(row[:2] for row in found) == [["NEW-1", "First"], ["NEW-2", "Second"]]


def test_importing_json_lines_works_like_the_command_line(
    console: Console, agency: Agency, agent: User
) -> None:
    lines = [
        {"reference": "J-1", "agency": str(agency.id), "agent": "ana"},
        {"reference": "J-2", "agency": str(agency.id), "agent": "ana", "title": "Two"},
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode()

    answer = upload(console, "../exports/Listings.JSONL", content)

    assert "2 created, 0 updated, 0 rejected" in answer.text
    assert sorted(first_column(console.get("/console/listings", params={"q": "J-"}))) == [
        "J-1",
        "J-2",
    ]


def test_a_bad_row_is_reported_with_its_row_number_and_the_rest_is_imported(
    console: Console, agency: Agency, agent: User
) -> None:
    content = (
        "reference,agency,agent\n"
        f"GOOD-1,{agency.id},ana\n"
        f"BAD-1,{agency.id},nobody\n"
        f"GOOD-2,{agency.id},ana\n"
        ",,\n"
    ).encode()

    answer = upload(console, "listings.csv", content)

    assert answer.status_code == 200
    assert "2 created, 0 updated, 2 rejected" in answer.text
    assert ["3", "no user nobody"] in rows(answer)
    assert ["5", "missing reference, agency, agent"] in rows(answer)
    assert sorted(first_column(console.get("/console/listings", params={"q": "GOOD"}))) == [
        "GOOD-1",
        "GOOD-2",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("listings.csv", b"", "The file is empty."),
        ("", b"", "Choose a file to import."),
        ("listings.csv", b"reference,agency,agent\n", "The file has no rows to import."),
        ("mine.csv", b"reference,agency\n\xff\xfe,1\n", "mine.csv is not UTF-8 text"),
    ],
)
def test_an_unusable_upload_is_refused_with_a_message(
    console: Console, name: str, content: bytes, message: str
) -> None:
    answer = upload(console, name, content)

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text
    assert "Nothing was imported" in answer.text


def test_an_upload_over_the_size_limit_is_refused(
    console: Console, agency: Agency, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing_pages, "MAX_IMPORT_BYTES", 64)
    content = f"reference,agency,agent\nBIG-1,{agency.id},ana\nBIG-2,{agency.id},ana\n".encode()

    answer = upload(console, "listings.csv", content)

    assert answer.status_code == 413
    assert "larger than" in answer.text
    assert first_column(console.get("/console/listings", params={"q": "BIG"})) == []


def test_an_import_without_the_csrf_token_is_refused(
    console: Console, agency: Agency, agent: User
) -> None:
    content = f"reference,agency,agent\nSNEAKY-1,{agency.id},ana\n".encode()

    answer = console.client.post(
        "/console/listings/import", files={"file": ("listings.csv", content)}
    )

    assert answer.status_code == 403
    assert first_column(console.get("/console/listings")) == []


# Agencies


def test_agencies_are_found_by_name_in_any_case(console: Console, db: Database) -> None:
    for name in ("Lisbon Homes", "Porto Homes", "Algarve Sun"):
        make_agency(db, name=name)

    answer = console.get("/console/agencies", params={"q": "HOMES"})

    assert sorted(first_column(answer)) == ["Lisbon Homes", "Porto Homes"]


def test_an_agency_row_counts_its_users_and_listings(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    make_user(db, agency=agency, role="lead_manager")
    make_listing(db, agency=agency, agent=agent)
    make_agency(db, name="Empty Agency")

    found = {row[0]: row for row in rows(console.get("/console/agencies"))}

    assert found["Lisbon Homes"][1:4] == [str(agency.id), "2", "1"]
    assert found["Empty Agency"][2:4] == ["0", "0"]


def test_agency_pages_show_each_agency_once(
    console: Console, db: Database, small_pages: int
) -> None:
    made = [make_agency(db, name=f"Agency {n}") for n in range(5)]

    pages = walk(console, "/console/agencies", _OLDER)

    assert pages == in_pages(newest_first(made, lambda agency: agency.name), 2)


# Users


def test_users_are_found_by_username_prefix_or_name(
    console: Console, db: Database, agency: Agency
) -> None:
    with db.session_scope() as session:
        for username, name in [
            ("ana.silva", "Ana Silva"),
            ("anabela", "Anabela Costa"),
            ("rui", "Rui Ana Pereira"),
            ("joao", "João Santos"),
            ("banana", "Bruno Nunes"),
        ]:
            directory.add_user(session, agency_id=agency.id, username=username, name=name)

    by_username = console.get("/console/users", params={"q": "ana"})
    by_name = console.get("/console/users", params={"q": "santos"})

    assert sorted(first_column(by_username)) == ["ana.silva", "anabela", "rui"]
    assert first_column(by_name) == ["joao"]


def test_a_user_row_shows_agency_role_and_whether_active(
    console: Console, db: Database, agency: Agency
) -> None:
    make_user(db, agency=agency, username="manager", role="lead_manager", active=False)

    [row] = rows(console.get("/console/users", params={"q": "manager"}))

    assert row[3:6] == ["Lisbon Homes", "lead manager", "inactive"]


def test_users_can_be_narrowed_to_one_agency(
    console: Console, db: Database, agency: Agency, agent: User
) -> None:
    make_user(db, agency=make_agency(db), username="elsewhere")

    answer = console.get("/console/users", params={"agency": str(agency.id)})

    assert first_column(answer) == ["ana"]


def test_user_pages_of_a_search_show_each_user_once(
    console: Console, db: Database, agency: Agency, small_pages: int
) -> None:
    people = [("sam1", "Alex"), ("kim", "Sam Kim"), ("sam2", "Sam Two"), ("max", "Max Samson")]
    with db.session_scope() as session:
        matching = [
            directory.add_user(session, agency_id=agency.id, username=username, name=name)
            for username, name in people
        ]
        directory.add_user(session, agency_id=agency.id, username="lee", name="Lee")

    pages = walk(console, "/console/users?q=sam", _OLDER)

    assert pages == in_pages(newest_first(matching, lambda user: user.username), 2)
