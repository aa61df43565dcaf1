"""`maxwork-leads db`, `agency`, `user` and `listing`, run as the real console script."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select

from maxwork_leads.db import Database
from maxwork_leads.db.migrate import alembic_config
from maxwork_leads.models import Agency, Listing, User
from maxwork_leads.settings import Settings
from tests.cli.helpers import Cli, count
from tests.factories import make_agency, make_listing, make_user


@dataclass(frozen=True)
class Directory:
    agency: Agency
    agent: User
    listing: Listing


@pytest.fixture
def directory(db: Database) -> Directory:
    agency = make_agency(db)
    agent = make_user(db, agency=agency)
    listing = make_listing(db, agency=agency, agent=agent, reference="OLD-1")
    return Directory(agency, agent, listing)


def listings_by_reference(db: Database) -> dict[str, Listing]:
    with db.session_scope() as session:
        return {row.public_reference: row for row in session.scalars(select(Listing))}


def head_revision() -> str:
    config = alembic_config(Settings(database_url="sqlite://"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_db_upgrade_reports_the_head_revision(cli: Cli) -> None:
    assert cli.ok("db", "upgrade")["revision"] == head_revision()


def test_db_upgrade_creates_the_schema_in_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    fresh = Cli(f"sqlite:///{path}", tmp_path)
    assert fresh.ok("db", "upgrade")["revision"] == head_revision()
    engine = create_engine(f"sqlite:///{path}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"agencies", "users", "listings", "credentials", "alembic_version"} <= tables


def test_agency_add_prints_the_uuid_of_the_stored_agency(cli: Cli, db: Database) -> None:
    agency_id = uuid.UUID(cli.ok("agency", "add", "--name", "Casa Nova")["id"])
    with db.session_scope() as session:
        agency = session.get(Agency, agency_id)
        assert agency is not None
        assert agency.name == "Casa Nova"


def test_agency_add_refuses_a_duplicate_name(cli: Cli, db: Database) -> None:
    cli.ok("agency", "add", "--name", "Casa Nova")
    assert "Casa Nova" in cli.fails("agency", "add", "--name", "Casa Nova")
    assert count(db, Agency) == 1


def test_an_error_without_json_goes_to_stderr(cli: Cli) -> None:
    cli.ok("agency", "add", "--name", "Casa Nova")
    result = cli("agency", "add", "--name", "Casa Nova")
    assert result.code == 1
    assert "already exists" in result.stderr
    assert result.stdout == ""


def test_user_add_stores_the_user_with_its_email_and_role(
    cli: Cli, db: Database, directory: Directory
) -> None:
    user_id = cli.ok(
        "user", "add", "--agency", str(directory.agency.id), "--username", "marta",
        "--name", "Marta Reis", "--email", "marta@example.com", "--role", "lead_manager",
    )["id"]  # fmt: skip
    with db.session_scope() as session:
        user = session.get(User, uuid.UUID(user_id))
        assert user is not None
        stored = (user.agency_id, user.username, user.name, user.email, user.role)
    assert stored == (
        directory.agency.id,
        "marta",
        "Marta Reis",
        "marta@example.com",
        "lead_manager",
    )


def test_user_add_defaults_to_the_agent_role(cli: Cli, db: Database, directory: Directory) -> None:
    user_id = cli.ok(
        "user", "add", "--agency", str(directory.agency.id), "--username", "rui", "--name", "Rui"
    )["id"]
    with db.session_scope() as session:
        user = session.get(User, uuid.UUID(user_id))
        assert user is not None
        assert user.role == "agent"


def test_user_add_refuses_an_unknown_role(cli: Cli, db: Database, directory: Directory) -> None:
    error = cli.fails(
        "user", "add", "--agency", str(directory.agency.id), "--username", "boss",
        "--name", "Boss", "--role", "owner",
    )  # fmt: skip
    assert "role" in error
    assert count(db, User) == 1  # only the fixture's agent


def test_user_add_refuses_an_unknown_agency(cli: Cli, db: Database) -> None:
    missing = str(uuid.uuid4())
    error = cli.fails("user", "add", "--agency", missing, "--username", "rui", "--name", "Rui")
    assert missing in error
    assert count(db, User) == 0


def test_listing_add_stores_the_listing(cli: Cli, db: Database, directory: Directory) -> None:
    listing_id = cli.ok(
        "listing", "add", "--reference", "REF-9", "--agency", str(directory.agency.id),
        "--agent", str(directory.agent.id), "--title", "Flat in Lisbon",
    )["id"]  # fmt: skip
    with db.session_scope() as session:
        listing = session.get(Listing, uuid.UUID(listing_id))
        assert listing is not None
        stored = (listing.public_reference, listing.agency_id, listing.agent_id, listing.title)
    assert stored == ("REF-9", directory.agency.id, directory.agent.id, "Flat in Lisbon")


def test_listing_add_refuses_an_agent_of_another_agency(
    cli: Cli, db: Database, directory: Directory
) -> None:
    other = make_user(db, agency=make_agency(db))
    error = cli.fails(
        "listing", "add", "--reference", "REF-9", "--agency", str(directory.agency.id),
        "--agent", str(other.id), "--title", "Flat",
    )  # fmt: skip
    assert "does not work for" in error
    assert set(listings_by_reference(db)) == {"OLD-1"}


def write_csv(path: Path, d: Directory) -> Path:
    agency, agent = str(d.agency.id), str(d.agent.id)
    rows = [
        "reference,agency,agent,title",
        f"NEW-1,{agency},{agent},First",  # row 2: created
        f"NEW-2,{agency},{d.agent.username},",  # row 3: created, agent by username
        f"BAD-1,,{agent},No agency",  # row 4: rejected
        f"BAD-2,{agency},nobody,Unknown agent",  # row 5: rejected
        f"OLD-1,{agency},{agent},Updated",  # row 6: updated
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_jsonl(path: Path, d: Directory) -> Path:
    agency, agent = str(d.agency.id), str(d.agent.id)
    lines = [
        json.dumps({"reference": "NEW-1", "agency": agency, "agent": agent, "title": "First"}),
        '{"reference": "BAD-0", "agency": ',  # line 2: not JSON
        json.dumps({"reference": "BAD-2", "agency": agency, "agent": "nobody"}),  # line 3
        json.dumps({"reference": "OLD-1", "agency": agency, "agent": agent, "title": "Updated"}),
        json.dumps({"reference": "NEW-2", "agency": agency, "agent": d.agent.username}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_import_summary_counts_and_explains_each_rejected_row(
    cli: Cli, directory: Directory, tmp_path: Path
) -> None:
    report = cli.ok("listing", "import", str(write_csv(tmp_path / "listings.csv", directory)))
    assert (report["created"], report["updated"], report["rejected"]) == (2, 1, 2)
    assert [e["row"] for e in report["errors"]] == [4, 5]
    assert "agency" in report["errors"][0]["reason"]
    assert "nobody" in report["errors"][1]["reason"]


def test_csv_import_stores_good_rows_and_updates_existing_ones(
    cli: Cli, db: Database, directory: Directory, tmp_path: Path
) -> None:
    cli.ok("listing", "import", str(write_csv(tmp_path / "listings.csv", directory)))
    listings = listings_by_reference(db)
    assert set(listings) == {"NEW-1", "NEW-2", "OLD-1"}
    assert {row.agent_id for row in listings.values()} == {directory.agent.id}
    assert (listings["NEW-1"].title, listings["NEW-2"].title) == ("First", None)
    assert listings["OLD-1"].id == directory.listing.id
    assert listings["OLD-1"].title == "Updated"


def test_jsonl_import_reports_a_line_that_is_not_json_and_keeps_the_rest(
    cli: Cli, db: Database, directory: Directory, tmp_path: Path
) -> None:
    report = cli.ok("listing", "import", str(write_jsonl(tmp_path / "listings.jsonl", directory)))
    assert (report["created"], report["updated"], report["rejected"]) == (2, 1, 2)
    assert [e["row"] for e in report["errors"]] == [2, 3]
    assert "JSON" in report["errors"][0]["reason"]
    assert "nobody" in report["errors"][1]["reason"]
    listings = listings_by_reference(db)
    assert set(listings) == {"NEW-1", "NEW-2", "OLD-1"}
    assert listings["OLD-1"].title == "Updated"


def test_import_without_json_prints_a_human_summary(
    cli: Cli, directory: Directory, tmp_path: Path
) -> None:
    result = cli("listing", "import", str(write_csv(tmp_path / "listings.csv", directory)))
    assert result.code == 0, result.stderr
    assert "2 created, 1 updated, 2 rejected" in result.stdout
    assert "row 4: missing agency" in result.stdout
    assert "row 5: no user nobody" in result.stdout


def test_import_rejects_a_nul_character_in_the_agent_and_keeps_the_other_rows(
    cli: Cli, db: Database, directory: Directory, tmp_path: Path
) -> None:
    agency, agent = str(directory.agency.id), str(directory.agent.id)
    path = tmp_path / "nul.jsonl"
    path.write_text(
        json.dumps({"reference": "NEW-1", "agency": agency, "agent": agent})
        + "\n"
        + json.dumps({"reference": "NEW-2", "agency": agency, "agent": "ab\x00c"})
        + "\n",
        encoding="utf-8",
    )
    report = cli.ok("listing", "import", str(path))
    assert (report["created"], report["rejected"]) == (1, 1)
    assert "NEW-1" in listings_by_reference(db)


def test_import_of_a_file_that_is_not_utf8_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("reference,agency,agent,title\nR-1,a,b,Caf\xe9\n".encode("latin-1"))
    result = cli("listing", "import", str(path), "--json")
    assert result.code == 1
    assert "not UTF-8" in json.loads(result.stdout)["error"]
