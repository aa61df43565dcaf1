"""Hand-written nasties: each is refused with a 4xx in the error shape, or stored exactly."""

from __future__ import annotations

import gzip
import zlib

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import ENDPOINT, post_lead
from tests.factories import World, lead_body


def raw(client: TestClient, world: World, content: bytes, **headers: str):  # type: ignore[no-untyped-def]
    merged = {"Content-Type": "application/json", **headers}
    return client.post(
        ENDPOINT,
        params=world.caller.params(),
        headers=world.caller.headers(**merged),
        content=content,
    )


def assert_refused(response, status: int | None = None) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    assert set(response.json()["Error"]) == {"Code", "Message", "Fields"}


def valid_json(world: World, **overrides: object) -> bytes:
    import orjson

    return orjson.dumps(lead_body(Public_Reference=world.listing.public_reference, **overrides))


NASTY_BODIES = {
    "empty": b"",
    "whitespace": b"   ",
    "null": b"null",
    "number": b"42",
    "string": b'"lead"',
    "truncated": b'{"Public_Reference": "x"',
    "nan": b'{"Price_Min": NaN}',
    "infinity": b'{"Price_Min": Infinity}',
    "trailing comma": b'{"a": 1,}',
    "single quotes": b"{'a': 1}",
    "comment": b'{"a": 1 /* x */}',
    "invalid utf-8": b'{"Sender_Name": "\xff\xfe"}',
    "lone surrogate": b'{"Sender_Name": "\\ud800"}',
    "deep nesting": b"[" * 5000 + b"]" * 5000,
    "deep object": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    # Deeper than a body is kept (orjson writes 254 levels), as deep as it reads, deeper
    # than Python's own stack: refused as it arrives, never a crash.
    "object 255 deep": b'{"a":' * 255 + b"1" + b"}" * 255,
    "nesting at the parser's limit": b"[" * 1020 + b"]" * 1020,
    "objects at the parser's limit": b'{"a":' * 1020 + b"1" + b"}" * 1020,
    "repeated keys at the parser's limit": b'{"a":1,"a":' * 1020 + b"1" + b"}" * 1020,
    "bom": b"\xef\xbb\xbf{}",
    "huge exponent": b'{"Price_Min": 1e309}',
    "huge integer": b'{"Room_Min": ' + b"9" * 400 + b"}",
}


@pytest.mark.parametrize("body", NASTY_BODIES.values(), ids=NASTY_BODIES.keys())
def test_bodies_that_are_not_a_json_object_are_refused(
    client: TestClient, world: World, body: bytes
) -> None:
    assert_refused(raw(client, world, body))


def test_an_unknown_field_as_deep_as_can_be_stored_is_kept(
    client: TestClient, world: World
) -> None:
    """The deepest body accepted (254 levels) is written to the history and activity."""
    deep = b'"Extra": ' + b"[" * 253 + b"]" * 253
    response = raw(client, world, valid_json(world)[:-1] + b", " + deep + b"}")
    assert response.status_code == 201, response.text
    assert response.json()["Warnings"] == ["Unknown field Extra ignored"]


def test_duplicate_keys_are_refused(client: TestClient, world: World) -> None:
    body = valid_json(world)[:-1] + b', "Lead_Status": "Archived"}'
    response = raw(client, world, body)
    assert_refused(response, 400)
    assert "duplicate key 'Lead_Status'" in response.json()["Error"]["Message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Price_Max", -0.0 - 1),
        ("Room_Min", 10**30),
        ("Room_Min", True),
        ("Sender_Name", ["Ana"]),
        ("Sender_Name", {"first": "Ana"}),
        ("Sender_Name", None),
        ("Listing_Attributes", {"1": True}),
        ("Listing_Attributes", "1,5"),
        ("Sender_Name", "x" * 10_000),
        ("Message", "x" * 10_001),
        ("External_LeadId", ""),
        ("Sender_Phone", "+" + "9" * 70),
    ],
)
def test_wrong_types_and_sizes_are_a_422(
    client: TestClient, world: World, field: str, value: object
) -> None:
    body = lead_body(Public_Reference=world.listing.public_reference, **{field: value})
    assert_refused(post_lead(client, world.caller, body), 422)


def test_minus_zero_is_a_valid_amount(client: TestClient, world: World) -> None:
    response = raw(client, world, valid_json(world)[:-1] + b', "Price_Min": -0}')
    assert response.status_code == 201


STORED_EXACTLY = [
    "Robert'); DROP TABLE leads;--",
    "<script>alert(1)</script>",
    "\u202eelbat\u202c right-to-left",
    "emoji 🏠 and 中文 and עברית",
    "  padded message with\ttabs\nand lines  ",
    "%00 %s {0} ${x} \\N",
]


@pytest.mark.parametrize("text", STORED_EXACTLY)
def test_accepted_text_round_trips_exactly(client: TestClient, world: World, text: str) -> None:
    body = lead_body(
        Public_Reference=world.listing.public_reference, Message=text, External_LeadId=text
    )
    created = post_lead(client, world.caller, body)
    assert created.status_code == 201, created.text
    lead = client.get(
        f"/listingexport/leads/{created.json()['Lead_Id']}",
        params=world.caller.params(),
        headers=world.caller.headers(),
    ).json()
    assert lead["Message"] == text
    assert lead["External_LeadId"] == text


def test_sql_in_the_reference_is_just_an_unknown_listing(client: TestClient, world: World) -> None:
    body = lead_body(Public_Reference="x' OR '1'='1")
    response = post_lead(client, world.caller, body)
    assert_refused(response, 422)
    assert response.json()["Error"]["Code"] == "unknown_listing"


@pytest.mark.parametrize("compress", [gzip.compress, zlib.compress], ids=["gzip", "deflate"])
def test_compressed_bodies_are_accepted(client: TestClient, world: World, compress) -> None:  # type: ignore[no-untyped-def]
    encoding = "gzip" if compress is gzip.compress else "deflate"
    response = raw(client, world, compress(valid_json(world)), **{"Content-Encoding": encoding})
    assert response.status_code == 201, response.text


def test_a_gzip_bomb_is_a_413(client: TestClient, world: World) -> None:
    bomb = gzip.compress(b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}')
    assert len(bomb) < 20_000
    assert_refused(raw(client, world, bomb, **{"Content-Encoding": "gzip"}), 413)


def test_a_corrupt_gzip_body_is_a_400(client: TestClient, world: World) -> None:
    body = gzip.compress(valid_json(world))[:-8]
    assert_refused(raw(client, world, body, **{"Content-Encoding": "gzip"}), 400)


def test_an_unknown_content_encoding_is_a_415(client: TestClient, world: World) -> None:
    assert_refused(raw(client, world, valid_json(world), **{"Content-Encoding": "br"}), 415)


@pytest.mark.parametrize(
    "content_type",
    ["", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "json"],
)
def test_wrong_content_types_are_a_415(client: TestClient, world: World, content_type: str) -> None:
    response = client.post(
        ENDPOINT,
        params=world.caller.params(),
        headers=world.caller.headers(**{"Content-Type": content_type}),
        content=valid_json(world),
    )
    assert_refused(response, 415)


def test_json_with_a_charset_parameter_is_accepted(client: TestClient, world: World) -> None:
    response = raw(
        client, world, valid_json(world), **{"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201
