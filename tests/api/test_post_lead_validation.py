"""The universal endpoint refuses bad requests with the right status and the single error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import ENDPOINT, error_code, error_fields, post_lead
from tests.factories import DROP, World, lead_body

REQUIRED = [
    "Public_Reference",
    "Sender_Name",
    "Sender_Email",
    "Sender_Phone",
    "Message",
    "Lead_Status",
]


def body_for(world: World, **overrides: object) -> dict[str, object]:
    return lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})


@pytest.mark.parametrize("field", REQUIRED)
def test_each_missing_required_field_is_named_in_a_422(
    client: TestClient, world: World, field: str
) -> None:
    response = post_lead(client, world.caller, body_for(world, **{field: DROP}))
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert error_fields(response) == [field]


def test_malformed_json_is_a_400(client: TestClient, world: World) -> None:
    response = client.post(
        ENDPOINT,
        params=world.caller.params(),
        headers=world.caller.headers(**{"Content-Type": "application/json"}),
        content=b'{"Public_Reference": ',
    )
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


def test_wrong_content_type_is_a_415(client: TestClient, world: World) -> None:
    response = client.post(
        ENDPOINT,
        params=world.caller.params(),
        headers=world.caller.headers(**{"Content-Type": "text/plain"}),
        content=b"{}",
    )
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_body_over_one_mebibyte_is_a_413(client: TestClient, world: World) -> None:
    body = body_for(world, Message="x" * (1024 * 1024))
    response = post_lead(client, world.caller, body)
    assert response.status_code == 413
    assert error_code(response) == "body_too_large"


def test_a_json_array_is_a_422(client: TestClient, world: World) -> None:
    response = post_lead(client, world.caller, [body_for(world)])
    assert response.status_code == 422
    assert error_fields(response) == ["body"]


@pytest.mark.parametrize("field", [*REQUIRED[:5], "External_LeadId"])
def test_a_nul_character_in_any_string_is_a_422(
    client: TestClient, world: World, field: str
) -> None:
    value = "bad\x00value"
    if field == "Public_Reference":
        value = world.listing.public_reference + "\x00"
    response = post_lead(client, world.caller, body_for(world, **{field: value}))
    assert response.status_code == 422
    assert field in error_fields(response)


def test_a_nul_character_in_an_unknown_field_is_stored_safely(
    client: TestClient, world: World
) -> None:
    response = post_lead(client, world.caller, body_for(world, Extra_Note="a\x00b"))
    assert response.status_code == 201
    assert response.json()["Warnings"] == ["Unknown field Extra_Note ignored"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Sender_Email", "not-an-email"),
        ("Sender_Phone", "123"),
        ("Lead_Status", "Pending"),
        ("Sender_Name", "x" * 201),
        ("Price_Min", -1),
        ("Room_Max", 1.5),
        ("LeadType_Id", 9),
        ("PropertyType_Id", "Castle"),
        ("Listing_Attributes", [1, 99]),
        ("Created_At", "2999-01-01T00:00:00Z"),
        ("Created_At", "yesterday"),
        ("Created_At", 0),
        ("Created_At", "0001-01-01T00:00:00+05:00"),
        ("Internal_UserId", "not-a-uuid"),
        ("Sender_Name", 12345),
    ],
)
def test_invalid_values_are_a_422_naming_the_field(
    client: TestClient, world: World, field: str, value: object
) -> None:
    response = post_lead(client, world.caller, body_for(world, **{field: value}))
    assert response.status_code == 422, response.text
    assert any(name.split(".")[0] == field for name in error_fields(response))


def test_price_min_above_price_max_is_a_422(client: TestClient, world: World) -> None:
    response = post_lead(client, world.caller, body_for(world, Price_Min=300, Price_Max=200))
    assert response.status_code == 422
    assert error_fields(response) == ["Price_Max"]


def test_unknown_listing_is_a_422(client: TestClient, world: World) -> None:
    response = post_lead(client, world.caller, body_for(world, Public_Reference="NOPE-1"))
    assert response.status_code == 422
    assert error_code(response) == "unknown_listing"
    assert error_fields(response) == ["Public_Reference"]


def test_unknown_fields_are_ignored_and_reported(client: TestClient, world: World) -> None:
    response = post_lead(client, world.caller, body_for(world, Portal_Score=7, Foo="bar"))
    assert response.status_code == 201
    assert response.json()["Warnings"] == [
        "Unknown field Foo ignored",
        "Unknown field Portal_Score ignored",
    ]


def test_status_and_enumerations_are_matched_in_any_case(client: TestClient, world: World) -> None:
    body = body_for(
        world, Lead_Status="cONTACTED", LeadType_Id="buyer", Listing_Attributes=["lift", 7]
    )
    response = post_lead(client, world.caller, body)
    assert response.status_code == 201
    assert response.json()["Lead_Status"] == "Contacted"
